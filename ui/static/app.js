// Browser-side behaviour of the chat, installed once per page:
// - a citation marker in an answer opens the matching source card in the sources panel;
// - the conversation keeps its newest message in view unless the reader scrolled up;
// - uploads send the page's upload token.
(() => {
  if (window.__newsragChat) return;
  window.__newsragChat = true;

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

  function followConversation(box) {
    let atBottom = true;
    box.addEventListener("scroll", () => {
      atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
    });
    new MutationObserver(() => {
      if (atBottom) box.scrollTop = box.scrollHeight;
    }).observe(box, { childList: true, subtree: true, characterData: true });
    box.scrollTop = box.scrollHeight;
  }

  // Uploads carry the page's token (a cookie set with the page): another site cannot read it to
  // send it along, so it cannot upload through the user's browser.
  const pageFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const token = (document.cookie.match(/(?:^|; )newsrag_upload=([^;]*)/) || [])[1];
    if (token && url && /\/gradio_api\/upload(\?|$)/.test(url)) {
      const headers = new Headers((init && init.headers) || {});
      headers.set("X-Upload-Token", token);
      init = { ...(init || {}), headers };
    }
    return pageFetch(input, init);
  };

  const waitForConversation = setInterval(() => {
    const box = document.getElementById("conversation");
    if (!box) return;
    clearInterval(waitForConversation);
    followConversation(box);
  }, 200);
})();
