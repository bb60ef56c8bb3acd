// Citation markers in answers open the matching source card in the sources panel.
// Installed once per page; the handler is delegated so it survives every re-render.
(() => {
  if (window.__newsragCitations) return;
  window.__newsragCitations = true;

  function openSource(turn, n) {
    const panel = document.getElementById("sources");
    const card = panel && panel.querySelector("#src-" + turn + "-" + n);
    if (!card) return false;
    panel.querySelectorAll(".turn-sources").forEach((section) => {
      section.classList.toggle("current", section.dataset.turn === String(turn));
    });
    panel.querySelectorAll(".source.active").forEach((other) => other.classList.remove("active"));
    const folded = card.closest("details");
    if (folded) folded.open = true;
    card.classList.add("active");
    card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    card.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("click", (event) => {
    const marker = event.target instanceof Element ? event.target.closest("a.cite") : null;
    if (!marker) return;
    const turn = Number.parseInt(marker.dataset.turn, 10);
    const n = Number.parseInt(marker.dataset.n, 10);
    if (Number.isInteger(turn) && Number.isInteger(n) && openSource(turn, n)) event.preventDefault();
  });
})();
