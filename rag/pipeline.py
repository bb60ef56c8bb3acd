"""Question -> cited answer: condense, retrieve, generate, verify every citation."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from index.library import Library, open_library
from rag.anchors import names_what_is_asked, question_names
from rag.backends import REGISTRY
from rag.backends.base import ChoiceScorer, Generator
from rag.backends.usage import metered
from rag.citations import answer_sentences, is_refusal, verify_sentence
from rag.condense import condense, referents
from rag.config import Config
from rag.errors import BackendUnavailable
from rag.extractive import (
    CachedSentences,
    Evidence,
    compact_context,
    copied_answer,
    extractive_answer,
    fits_answer_type,
    rank_sentences,
    sentence_after,
    with_attribution,
    with_next,
)
from rag.prompts import (
    ANSWER,
    CONFIRM,
    EXTRACT,
    KIND,
    REFUSAL,
    SELECT,
    VERIFY,
    VERIFY_OPTIONS,
    YES_NO,
    YES_NO_PLAIN,
    format_passages,
    format_sentence,
    format_sentences,
)
from rag.retrieve import Retriever, current_for
from rag.sentences import content_words, numbers_in, split_sentences
from rag.short_answer import (
    Kind,
    asks_for_people,
    fits_kind,
    grounded,
    pronoun_speaker,
    question_kind,
    quoted_referent,
    quoted_speaker,
    short_answer_for,
)
from rag.types import Answer, Citation, Filters, Passage, Retrieved, TokenUsage

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
SELECT_CANDIDATES = 4
# The extractive back end takes its answer from this many of the best evidence sentences.
EXTRACTIVE_CANDIDATES = 3
MAX_ANSWER_SENTENCES = 3
EXTRACT_TOKENS = 16  # a short answer phrase; more is never a copied span
# Verify mode's last candidate is the one the model picks (SELECT) among the evidence sentences
# ranked after the first ones, down to this rank.
LAST_PICK_FROM = 8
KIND_CHECKED = (Kind.PERSON, Kind.PLACE, Kind.THING)  # the kinds a name answers, checked with KIND
# How many sentences that leave unnamed the people asked about are read on through the next sentence.
NAMED_NEXT_TRIES = 2
_VERIFY_WORDS = [word for words in VERIFY_OPTIONS.values() for word in words]
# Calibrated on evals/gold/seed.jsonl (docs/evals.md). Evidence strength of the best sentence is
# 0.5 * word coverage + meaning similarity; an extractive answer needs STRONG. Overruling a model's
# refusal needs a near-paraphrase of the question (no unanswerable seed question reaches it).
STRONG_EVIDENCE = 0.6
OVERRULE_SIMILARITY = 0.70
OVERRULE_COVERAGE, OVERRULE_COVERAGE_SIMILARITY = 0.75, 0.6
SPEAKER_LOOKBACK = 3  # sentences searched back for the person a "she said" stands for

StreamEvent = Retrieved | str | Answer
# The registered back end without a model: what answers when a model is not asked or not available.
QUOTES_ONLY = next(name for name, b in REGISTRY.items() if b.factory is None)


@dataclass
class Found:
    """What the answering step settled on besides its text: the short answer and where it stands."""

    short_answer: str | None = None
    evidence: Evidence | None = None
    belief: float | None = None  # the model's VERIFY belief in `evidence`, when it was asked
    read_precision: float = 1.0  # for a yes/no answer, how often the model's read of that word is right
    judged: bool = False  # the model was asked about the evidence sentences (verify mode): its refusal stands

    @property
    def confidence(self) -> float | None:
        """The belief in the sentence times, for a yes/no answer, how often the word read from it is right."""
        return None if self.belief is None else self.belief * self.read_precision


class Pipeline:
    """Holds the index, the retriever and the generators; thread-safe for concurrent questions."""

    def __init__(
        self,
        config: Config,
        library: Library | None = None,
        generator: Generator | None = None,
        retriever: Retriever | None = None,
    ) -> None:
        self.config = config
        self.library = library or open_library(config.index)
        self.retriever = retriever or Retriever(self.library, settings=config.retrieval)
        self._generators: dict[str, Generator] = {}
        self._sentences = CachedSentences(self.library.embedder)
        if generator is not None:
            self._generators[config.backend] = generator
        self._lock = threading.Lock()
        self._warming = threading.Event()  # set while `warm_up` loads the default back end

    # ---- public ------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        filters: Filters | None = None,
        k: int | None = None,
        backend: str | None = None,
    ) -> Answer:
        """Answer one question; the same as consuming `stream` to its end."""
        final: Answer | None = None
        for event in self.stream(question, history, filters, k, backend):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def stream(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        filters: Filters | None = None,
        k: int | None = None,
        backend: str | None = None,
    ) -> Iterator[StreamEvent]:
        """Yield `Retrieved`, then text pieces, then the final verified `Answer`."""
        started = time.perf_counter()
        chosen = self.config.with_overrides(backend=backend or None, k=k or None)  # validates both
        backend, k = chosen.backend, chosen.k
        notices: list[str] = []
        cleaned = " ".join((question or "").split())
        problem = _question_problem(cleaned)
        if problem:
            yield _refusal(question, problem, [], backend, {"retrieve": 0.0, "first_token": 0.0, "total": 0.0}, notices)
            return
        if len(cleaned) > MAX_QUESTION_CHARS:
            cleaned = cleaned[:MAX_QUESTION_CHARS]
            notices.append(f"The question was shortened to its first {MAX_QUESTION_CHARS} characters.")

        generator, notice = self._generator_or_none(backend)
        if notice:
            notices.append(notice)
        if generator is not None and self._warming.is_set() and not getattr(generator, "loaded", True):
            # Answer now from the evidence rather than wait for the model to finish loading.
            notices.append("The local model is still loading; this answer was chosen extractively.")
            generator = None
        usage = TokenUsage()
        if generator is not None:
            generator = metered(generator, usage)
        standalone = self._condense(cleaned, history, generator, notices)
        passages = self.retriever.retrieve(standalone, k, filters)
        timings = {"retrieve": _ms(started)}
        yield Retrieved(passages, standalone)

        # After condensing, the user's own words and the words the rewrite put in place of their pronouns lead
        # ("How old was she?" -> Heather Heyer), and the rewrite's other words help.
        lead = " ".join([cleaned, *referents(cleaned, standalone)])
        evidence = rank_sentences(lead, passages, context=standalone if standalone != cleaned else "", embedder=self._sentences)
        # Short questions ("Who is Selim Genra?") match a whole passage weakly but one sentence well.
        if not passages or (max(p.relevance for p in passages) < self.config.refusal_threshold and not _strong(evidence)):
            timings.update(first_token=_ms(started), total=_ms(started))
            refusal = _refusal(question, REFUSAL, passages, backend, timings, notices, standalone)
            refusal.usage = usage  # rewriting a follow-up may have asked the model
            yield refusal
            return

        # Evidence comes from articles that name what the question names and, for a question about
        # this week, from that week.
        as_of = filters.as_of if filters is not None else None
        on_subject = self._articles_naming(standalone, passages) & current_for(standalone, passages, as_of)
        used_backend = backend if generator is not None else QUOTES_ONLY
        text = ""
        found = Found()
        if generator is not None:
            try:
                for piece in self._generate(generator, backend, standalone, evidence, found, on_subject):
                    if not text:
                        timings["first_token"] = _ms(started)
                    text += piece
                    yield piece
            except BackendUnavailable as exc:
                notices.append(f"{exc} Answered extractively instead.")
                generator, used_backend, text = None, QUOTES_ONLY, ""
        # An answer chosen from the evidence alone must at least be of the kind asked for, from an
        # article that names what the question names.
        answering = [e for e in evidence if fits_answer_type(standalone, e.text) and e.passage.doc_id in on_subject]
        if generator is None:
            text = self._extractive(standalone, answering, found) if _strong(answering) else REFUSAL
            timings["first_token"] = _ms(started)
            yield text
        answer = self._finish(question, standalone, text, passages, answering, used_backend, notices, found, generator)
        timings["total"] = _ms(started)
        timings.setdefault("first_token", timings["total"])
        answer.timings_ms = timings
        answer.usage = usage
        yield answer

    # ---- steps -------------------------------------------------------------------------------
    def generator(self, backend: str) -> Generator:
        """The generator for `backend`, created once (loading a local model is slow)."""
        with self._lock:
            if backend not in self._generators:
                from rag.backends import make_generator

                self._generators[backend] = make_generator(backend, self.config)
            return self._generators[backend]

    def _generate(
        self, generator: Generator, backend: str, question: str, evidence: list[Evidence], found: Found, on_subject: set[str]
    ) -> Iterator[str]:
        """Stream the answer text: written by the model, or the evidence sentences it verifies or selects."""
        mode = self.config.answer_mode_for(backend)
        if mode == "generate":
            messages = ANSWER.render(passages=format_passages(compact_context(evidence)), question=question)
            yield from generator.stream(messages, max_tokens=self.config.max_answer_tokens)
            return
        if mode == "verify" and isinstance(generator, ChoiceScorer):
            found.judged = True
            chosen = self._verified_answer(generator, question, evidence, found, on_subject)
            yield _cited(chosen) if chosen else REFUSAL
            return
        candidates = evidence[:SELECT_CANDIDATES]
        messages = SELECT.render(sentences=format_sentences([e.text for e in candidates]), question=question)
        reply = "".join(generator.stream(messages, max_tokens=4))
        choice = re.search(r"\d+", reply)
        picked = int(choice.group()) if choice else 0
        yield extractive_answer([candidates[picked - 1]]) if 1 <= picked <= len(candidates) else REFUSAL

    def _verified_answer(
        self, scorer: ChoiceScorer, question: str, evidence: list[Evidence], found: Found, on_subject: set[str]
    ) -> list[Evidence]:
        """The evidence sentences that answer the question according to the model, best first; [] for none.

        A sentence is accepted in the order of `_accepted` and must also yield a short answer of the
        kind asked (`short_answer_for`): evidence on the topic that holds no such phrase does not
        answer, nor does a sentence the model believes but, asked for the phrase (`EXTRACT`), says
        holds none: its two readings must agree. Questions about reasons, consequences, lists and
        events may take up to `MAX_ANSWER_SENTENCES` sentences the model believes. Of the best
        `verify_candidates` sentences, only those from an article in `on_subject` are asked about.
        Before refusing a who question, the sentences accepted that named no one are read on through
        the next sentence (`_named_next`).
        """
        kind = question_kind(question)
        candidates, rest = self._candidates(question, evidence, on_subject)
        beliefs: dict[int, float] = {}
        unnamed: list[Evidence] = []  # accepted, but holding no answer of the kind asked
        accepted = self._accepted(scorer, question, candidates, beliefs, sure_first=not kind.wants_more, rest=rest)
        for i, phrase in accepted:
            chosen = candidates[i]
            if phrase is None and kind is not Kind.YES_NO:
                phrase = self._extract(scorer, question, chosen.text)
                if _finds_none(phrase):
                    if kind is not Kind.REASON and not (kind is Kind.PERSON and quoted_speaker(question, chosen.text)):
                        log.debug("the model finds no answer in %r", chosen.text[:80])
                        continue
                    # a reason is a clause, not a phrase to copy, and a quote's speaker is named beside it:
                    # the patterns find them
                    phrase = None
            if kind is Kind.YES_NO:
                phrase = self._yes_or_no(scorer, question, chosen.text)
                if phrase is None:
                    log.debug("the model reads both yes and no in %r", chosen.text[:80])
                    continue
            short = _direct_answer(question, kind, chosen, phrase)
            if short is None:
                log.debug("no %s answer in %r", kind.value, chosen.text[:80])
                if _asks_for_someone(question, kind) and chosen not in unnamed:
                    unnamed.append(chosen)
                continue
            if not self._of_the_kind(scorer, question, kind, short) or not self._confirmed(scorer, question, chosen, short):
                continue
            found.short_answer, found.evidence, found.belief = short, chosen, beliefs.get(i)
            if kind is Kind.YES_NO and phrase in ("Yes", "No"):
                found.read_precision = self.config.yes_read_precision if phrase == "Yes" else self.config.no_read_precision
            picked = [chosen]
            if kind.wants_more:
                for j in range(len(candidates)):
                    if j not in beliefs:
                        beliefs[j] = self._belief(scorer, question, candidates[j])
                for j in sorted(beliefs, key=lambda j: -beliefs[j]):
                    if len(picked) < MAX_ANSWER_SENTENCES and beliefs[j] >= self.config.verify_threshold and _new_sentence(candidates[j], picked):
                        picked.append(candidates[j])
            return _reading_order(picked)
        return self._named_next(scorer, question, kind, unnamed[:NAMED_NEXT_TRIES], found)

    def _named_next(self, scorer, question: str, kind: Kind, unnamed: list[Evidence], found: Found) -> list[Evidence]:
        """The first of `unnamed` that answers when read with the next sentence of its passage ([] for none).

        `unnamed` are sentences the model accepted that hold no answer of the kind asked: "Two brothers
        who owned a cantaloupe farm ... pleaded not guilty" says who only in the sentence after it. The
        pair must pass as any candidate does (believed at `verify_threshold`, a phrase the model copies,
        a short answer of the kind, the model's checks), and the short answer must be in the next sentence.
        """
        for sentence in unnamed:
            pair = with_next(sentence)
            if pair is None:
                continue
            belief = self._belief(scorer, question, pair)
            if belief < self.config.verify_threshold:
                continue
            phrase = self._extract(scorer, question, pair.text)
            if _finds_none(phrase):
                continue
            short = _direct_answer(question, kind, pair, phrase)
            named_next = pair.passage.text[sentence.end : pair.end]
            if short is None or short.lower() not in named_next.lower() or not _says_more(named_next, short):
                continue
            if self._of_the_kind(scorer, question, kind, short) and self._confirmed(scorer, question, pair, short):
                log.debug("the next sentence names it: %r", short)
                found.short_answer, found.evidence, found.belief = short, pair, belief
                return [pair]
        return []

    def _candidates(self, question: str, evidence: list[Evidence], on_subject: set[str]) -> tuple[list[Evidence], list[Evidence]]:
        """The sentences verify mode asks the model about, best first, and those its last pick chooses among.

        Of the best `verify_candidates` evidence sentences (and of the best `LAST_PICK_FROM`), each read
        with its speaker, those that are of the kind asked for and come from an article in `on_subject`.
        Each sentence is read once for both lists.
        """
        top = self.config.verify_candidates
        fitting = [
            (rank, c) for rank, c in enumerate(with_attribution(e) for e in evidence[: max(top, LAST_PICK_FROM)])
            if fits_answer_type(question, c.text) and c.passage.doc_id in on_subject
        ]
        return [c for rank, c in fitting if rank < top], [c for rank, c in fitting if rank < LAST_PICK_FROM]

    def _last_pick(self, scorer: ChoiceScorer, question: str, rest: list[Evidence]) -> Evidence:
        """The sentence of `rest` the model picks as answering the question (SELECT, read as its
        probability of each number); the best-ranked one when it picks none or has one to pick from."""
        if len(rest) == 1:
            return rest[0]
        rest = rest[:9]  # one digit each
        numbers = [str(n) for n in range(len(rest) + 1)]
        messages = SELECT.render(sentences=format_sentences([e.text for e in rest]), question=question)
        chances = scorer.choice_probabilities(messages, numbers)
        best = max(numbers[1:], key=lambda n: chances.get(n, 0.0))
        log.debug("pick %s of %d (none %.3f, it %.3f)", best, len(rest), chances.get("0", 0.0), chances.get(best, 0.0))
        return rest[int(best) - 1] if chances.get(best, 0.0) > chances.get("0", 0.0) else rest[0]

    def _accepted(
        self, scorer, question: str, candidates: list[Evidence], beliefs: dict[int, float], sure_first: bool = True,
        rest: Sequence[Evidence] = (),
    ) -> Iterator[tuple[int, str | None]]:
        """Indexes of the candidates the model accepts, in order of preference, with a copied phrase if asked.

        The model's belief that a sentence states the answer must reach `verify_threshold`; a belief
        between `verify_floor` and it also counts when the model, asked for the answer itself, copies
        a short phrase out of the sentence (`copied_answer`). The best-ranked sentence comes first when
        it passes that way; then the ones above the threshold, most believed first; then the others
        that pass that way. The last candidate is asked about only when the ones before it gave no
        answer, or when the caller asks for more (`beliefs` is filled as the model is asked); when
        `rest` (the sentences down to rank `LAST_PICK_FROM`) holds any after the first ones, it is
        the one the model picks among them (`_last_pick`; the only one, when there is one): an answer
        often shares fewer words with the question than the sentences that restate it, and ranks
        lower. With
        `sure_first`, a best-ranked sentence believed at `verify_sure` or more is offered before the
        next is asked about, which saves a forward pass for about half the questions. Callers that
        ask about every candidate anyway (reasons, lists) gain nothing by it and pass False: the next
        sentence may be the same quote read with the reason after it.
        """
        if not candidates:
            return
        asked: set[int] = set()
        sure_of_first = False  # the best-ranked sentence was offered early, not to be offered again
        first = min(len(candidates), self.config.verify_candidates - 1)
        for last_round in (False, True):
            if last_round:
                # The last candidate: the one the model picks among the sentences ranked after the first ones.
                after = [e for e in rest if e not in candidates[:first]]
                if after:
                    candidates[first:] = [self._last_pick(scorer, question, after)]
            rounds = range(first, len(candidates)) if last_round else range(first)
            for i in rounds:
                beliefs[i] = self._belief(scorer, question, candidates[i])
                if i == 0 and sure_first and self._sure(beliefs[0]):
                    sure_of_first = True
                    yield 0, None
                if i == 0 and self._in_doubt(beliefs[0]):
                    asked.add(0)
                    phrase = self._extract(scorer, question, candidates[0].text)
                    if copied_answer(phrase, candidates[0].text, question):
                        yield 0, phrase
            ranked = sorted(rounds, key=lambda i: -beliefs[i])
            for i in ranked:
                if beliefs[i] >= self.config.verify_threshold and not (i == 0 and sure_of_first):
                    yield i, None
            for i in ranked:
                if i not in asked and self._in_doubt(beliefs[i]):
                    asked.add(i)
                    phrase = self._extract(scorer, question, candidates[i].text)
                    if copied_answer(phrase, candidates[i].text, question):
                        yield i, phrase

    def _articles_naming(self, question: str, passages: Sequence[Passage]) -> set[str]:
        """The documents among `passages` that name every name the question gives (`names_what_is_asked`).

        "Who is the CEO of JetBlue?" is not answered from an article that never names JetBlue.
        """
        ids = {p.doc_id for p in passages}
        if not question_names(question):
            return ids
        records = self.library.documents_by_id(sorted(ids))
        articles = {i: f"{r.title}\n{r.text}" for i, r in records.items()}
        for p in passages:  # a document the store no longer holds: its passages are what there is
            articles.setdefault(p.doc_id, f"{p.title}\n{p.text}")
        return {i for i in ids if names_what_is_asked(question, articles[i])}

    def _belief(self, scorer: ChoiceScorer, question: str, candidate: Evidence) -> float:
        """The model's probability of "yes" against "no" to: does this sentence state the answer?"""
        belief = yes_share(scorer, VERIFY.render(sentence=format_sentence(candidate.text), question=question))
        log.debug("verify %.3f for %r", belief, candidate.text[:80])
        return belief

    def _confirmed(self, scorer: ChoiceScorer, question: str, chosen: Evidence, short: str) -> bool:
        """Does the model read `short` in `chosen` as the answer (CONFIRM), not just something it mentions?

        Skipped for yes/no answers and when `confirm_threshold` is 0.
        """
        if self.config.confirm_threshold <= 0 or short in ("Yes", "No"):
            return True
        belief = yes_share(scorer, CONFIRM.render(sentence=format_sentence(chosen.text), question=question, answer=short))
        log.debug("confirm %.3f for %r in %r", belief, short, chosen.text[:80])
        return belief >= self.config.confirm_threshold

    def _of_the_kind(self, scorer: ChoiceScorer, question: str, kind: Kind, short: str) -> bool:
        """Does the model take `short` for the kind of thing asked (KIND): a country for "which country"?

        Asked for who, where and which-thing questions when `kind_threshold` is above 0; the patterns of
        `fits_kind` know a name from a clause, not a country from a people ("Chinese") or a news channel
        from an announcement.
        """
        if self.config.kind_threshold <= 0 or kind not in KIND_CHECKED:
            return True
        belief = yes_share(scorer, KIND.render(question=question, answer=short))
        log.debug("kind %.3f for %r", belief, short)
        return belief >= self.config.kind_threshold

    def _sure(self, belief: float) -> bool:
        sure = self.config.verify_sure
        return sure > 0 and belief >= max(sure, self.config.verify_threshold)

    def _in_doubt(self, belief: float) -> bool:
        return self.config.verify_floor <= belief < self.config.verify_threshold

    def _extract(self, scorer, question: str, sentence: str) -> str:
        """The model's shortest phrase of `sentence` that answers the question ("" without a generator)."""
        if not isinstance(scorer, Generator):
            return ""
        messages = EXTRACT.render(sentence=format_sentence(sentence), question=question)
        reply = "".join(scorer.stream(messages, max_tokens=EXTRACT_TOKENS)).strip()
        log.debug("extract %r from %r", reply, sentence[:80])
        return reply

    def _yes_or_no(self, scorer, question: str, sentence: str) -> str | None:
        """"Yes" or "No": the answer the model reads in `sentence` for a yes/no question, when its reads with
        `YES_NO` and `YES_NO_PLAIN` agree; None when they differ or it cannot score (verify mode always can)."""
        if not isinstance(scorer, ChoiceScorer):
            return None
        reads = set()
        for template in (YES_NO, YES_NO_PLAIN):
            yes, no = _yes_and_no(scorer, template.render(sentence=format_sentence(sentence), question=question))
            reads.add("Yes" if yes >= no else "No")
        return reads.pop() if len(reads) == 1 else None

    def _extractive(self, question: str, evidence: list[Evidence], found: Found) -> str:
        """The extractive answer: the best sentence that holds a short answer of the kind asked."""
        kind = question_kind(question)
        for i, e in enumerate(evidence[:EXTRACTIVE_CANDIDATES]):
            chosen = with_attribution(e)
            short = _direct_answer(question, kind, chosen)
            if short is not None and (i == 0 or _strong([e])):
                found.short_answer, found.evidence = short, chosen
                return extractive_answer([e] + [x for x in evidence if x is not e])
        return REFUSAL

    def warm_up(self) -> None:
        """Load the embedding model and the default generator now, so the first question is not slow.

        While this runs (e.g. in a thread at server start), questions for a model that has not
        loaded yet are answered extractively, with a notice.
        """
        self._warming.set()
        try:
            self._warm_up()
        finally:
            self._warming.clear()

    def _warm_up(self) -> None:
        self.library.embedder.encode_query("warm up")
        generator, notice = self._generator_or_none(self.config.backend)
        if notice:
            log.warning("%s", notice)
        warm = getattr(generator, "warm_up", None)
        if warm is not None:
            mode = self.config.answer_mode_for(self.config.backend)
            if mode == "verify" and not isinstance(generator, ChoiceScorer):
                mode = "select"  # what `_generate` falls back to
            template = {"generate": ANSWER, "verify": VERIFY}.get(mode, SELECT)
            prefix = template.render(sentence="", sentences="", passages="", question="")
            try:
                warm(prefix)
            except BackendUnavailable as exc:
                log.warning("could not warm up the %s back end: %s", self.config.backend, exc)

    def _generator_or_none(self, backend: str) -> tuple[Generator | None, str]:
        if REGISTRY[backend].factory is None:  # a back end that quotes the evidence, without a model
            return None, ""
        try:
            return self.generator(backend), ""
        except BackendUnavailable as exc:
            return None, f"{exc} Answered extractively instead."

    def _condense(self, question: str, history, generator, notices: list[str]) -> str:
        try:
            return condense(question, history, generator)
        except BackendUnavailable as exc:
            notices.append(f"Could not rewrite the follow-up question ({exc}).")
            return condense(question, history, None)

    def _finish(self, question, standalone, text, passages, evidence, backend, notices, found: Found, generator) -> Answer:
        """Verify every sentence's citations; lead with the short answer; fall back to the evidence or refuse."""
        sentences, citations, dropped = _verify(text, passages)
        if dropped:
            notices.append(f"Removed {dropped} citation(s) or sentence(s) the passages do not support.")
        if not citations and generator is not None and not found.judged and _should_fall_back(text, evidence):
            # The model cited nothing usable, or refused what one sentence plainly answers. A refusal
            # after the model was asked about every candidate sentence (verify mode) is its judgment,
            # not a slip: on the tuning sets, answers taken over it were wrong 7 times in 10.
            found = Found()
            sentences, citations, _ = _verify(self._extractive(standalone, evidence, found), passages)
            if citations:
                notices.append("The generated answer had no supported citation; showing the best supporting sentences.")
                backend = f"{backend}+{QUOTES_ONLY}"
        if citations and found.short_answer is None:
            found.short_answer = self._short_from_citation(generator, standalone, citations[0])
        lead = _short_line(found.short_answer, citations, passages) if citations and found.short_answer else None
        if lead is None:
            return _refusal(question, REFUSAL, passages, backend, {}, notices, standalone)
        text, lead_citations = lead
        return Answer(
            question=question,
            answer=" ".join([text, *sentences]),
            refused=False,
            citations=citations + [c for c in lead_citations if c not in citations],
            passages=passages,
            backend=backend,
            notices=notices,
            standalone_question=standalone,
            short_answer=found.short_answer,
            confidence=found.confidence,
            tentative=found.confidence is not None and found.confidence < self.config.tentative_below,
        )

    def _short_from_citation(self, generator, question: str, citation: Citation) -> str | None:
        """A short answer for a written answer: the model's phrase (or a pattern's) from its first cited quote."""
        kind = question_kind(question)
        phrase = self._yes_or_no(generator, question, citation.quote) if kind is Kind.YES_NO else None
        if phrase is None and generator is not None:
            try:
                phrase = self._extract(generator, question, citation.quote)
            except BackendUnavailable:
                phrase = None
        return short_answer_for(question, kind, citation.quote, citation.quote, phrase)


def _direct_answer(question: str, kind: Kind, chosen: Evidence, phrase: str | None = None) -> str | None:
    """The short answer `chosen` gives (`short_answer_for`), with a quoted "he" named (`quoted_referent`), or
    the person a "she said" stands for when the question asks who said it (`pronoun_speaker`), or the
    speaker of a quote the question asks about (`quoted_speaker`)."""
    if kind is not Kind.PERSON:
        return short_answer_for(question, kind, chosen.text, _support(chosen), phrase)
    earlier = _sentences_before(chosen, SPEAKER_LOOKBACK)  # nearest first; read once for both resolutions
    speaker = pronoun_speaker(question, chosen.text, earlier)
    if speaker is not None:
        return speaker
    speaker = quoted_speaker(question, chosen.text)
    if speaker is not None and grounded(speaker, chosen.text, question) and fits_kind(speaker, kind, question):
        return speaker
    short = short_answer_for(question, kind, chosen.text, _support(chosen), phrase)
    if short is None:
        return short
    before = earlier[0] if earlier else ""
    after = next_sentence.text if (next_sentence := sentence_after(chosen)) else ""
    named = quoted_referent(question, short, chosen.text, before, after)
    if named and grounded(named, " ".join((before, chosen.text, after)), question):
        return named
    return short


def _finds_none(phrase: str) -> bool:
    """Did the model, asked for the phrase that answers (`EXTRACT`), reply that the sentence holds none?"""
    return re.match(r"^\W*none\b", phrase, re.IGNORECASE) is not None


def _asks_for_someone(question: str, kind: Kind) -> bool:
    """Who, or which people: the answers news names a sentence after saying what they did ("Two brothers who
    owned the farm pleaded not guilty." then "Eric and Ryan Jensen, ..."). Other kinds are not read on: the
    next sentence's place or number is as often another fact's ("both 23", "a Downing Street news conference")."""
    return kind is Kind.PERSON or (kind is Kind.LIST and asks_for_people(question))


_ENDS_A_SENTENCE = re.compile(r"[.!?][\"”’')]*\s*$")


def _says_more(sentence: str, short: str) -> bool:
    """Is `sentence` a sentence that says something of `short`, not a heading or a list item that is only
    the name ("‘Danger of War’", "A. IKEA")? It ends as a sentence does and holds three content words more."""
    return bool(_ENDS_A_SENTENCE.search(sentence)) and len(set(content_words(sentence)) - set(content_words(short))) >= 3


def _support(e: Evidence) -> str:
    """The evidence sentence, with the sentence before it when it leans on that one ("he", "they", "this")."""
    if not _LEANS_BACK.search(e.text):
        return e.text
    return " ".join(x for x in (_sentence_before(e), e.text) if x)


def _sentence_before(e: Evidence) -> str:
    """The sentence of the passage just before the evidence ("" at its start)."""
    before = _sentences_before(e, 1)
    return before[0] if before else ""


def _sentences_before(e: Evidence, n: int) -> list[str]:
    """Up to `n` sentences of the passage before the evidence, the nearest first."""
    return [s.text for s in reversed(split_sentences(e.passage.text[: e.start])[-n:])]


def _yes_and_no(scorer: ChoiceScorer, messages) -> tuple[float, float]:
    """The model's probabilities of replying "yes" and "no" (any casing) to `messages`."""
    probabilities = scorer.choice_probabilities(messages, _VERIFY_WORDS)
    yes = sum(probabilities.get(o, 0.0) for o in VERIFY_OPTIONS["yes"])
    no = sum(probabilities.get(o, 0.0) for o in VERIFY_OPTIONS["no"])
    return yes, no


def yes_share(scorer: ChoiceScorer, messages) -> float:
    """The probability of "yes" against "no" as the reply to `messages` (0 when it gives neither)."""
    yes, no = _yes_and_no(scorer, messages)
    return yes / (yes + no) if yes + no > 0 else 0.0


_LEANS_BACK = re.compile(r"\b(he|she|they|it|his|her|their|its|him|them|this|that|these|those)\b", re.IGNORECASE)


def _cited(chosen: Sequence[Evidence]) -> str:
    return " ".join(extractive_answer([e], max_sentences=1) for e in chosen)


def _new_sentence(candidate: Evidence, picked: Sequence[Evidence]) -> bool:
    """Not the same span as, nor mostly the words of, a sentence already picked."""
    words = set(content_words(candidate.text))
    for e in picked:
        if e.passage.doc_id == candidate.passage.doc_id and e.start < candidate.end and candidate.start < e.end:
            return False
        if words and len(words & set(content_words(e.text))) / len(words) > 0.6:
            return False
    return True


def _reading_order(picked: list[Evidence]) -> list[Evidence]:
    """The best sentence first; the others after it, grouped by article in document order."""
    first, rest = picked[0], picked[1:]
    same = sorted((e for e in rest if e.passage.doc_id == first.passage.doc_id), key=lambda e: e.passage.start + e.start)
    other = sorted((e for e in rest if e.passage.doc_id != first.passage.doc_id), key=lambda e: (e.passage.doc_id, e.passage.start + e.start))
    return [first, *same, *other]


def _short_line(short: str, citations: Sequence[Citation], passages: Sequence[Passage]) -> tuple[str, list[Citation]] | None:
    """The short answer as the answer's first sentence, with the citation that supports it."""
    if short.lower() in ("yes", "no"):
        return f"{short} [{citations[0].n}].", [citations[0]]
    for c in citations:  # a quote already shown that holds every word of the short answer
        if set(content_words(short)) <= set(content_words(c.quote)) and numbers_in(short) <= numbers_in(c.quote):
            return f"{short} [{c.n}].", []
    by_n = {c.n: c for c in citations}
    ordered = [p for p in passages if p.n in by_n] + [p for p in passages if p.n not in by_n]
    for passage in ordered:
        verified = verify_sentence(f"{short} [{passage.n}].", [passage])
        if verified.citations:
            return verified.text, verified.citations
    return None


def _verify(text: str, passages: Sequence[Passage]) -> tuple[list[str], list[Citation], int]:
    """Keep the sentences with at least one supported citation."""
    kept: list[str] = []
    citations: list[Citation] = []
    dropped = 0
    if is_refusal(text):
        return kept, citations, 0
    for sentence in answer_sentences(text):
        verified = verify_sentence(sentence, passages)
        dropped += len(verified.dropped)
        if verified.citations:
            kept.append(verified.text)
            citations.extend(c for c in verified.citations if c not in citations)
        elif content_words(sentence):
            dropped += 1
    return kept, citations, dropped


def _strong(evidence: Sequence[Evidence]) -> bool:
    return bool(evidence) and 0.5 * evidence[0].coverage + evidence[0].similarity >= STRONG_EVIDENCE


def _should_fall_back(text: str, evidence: Sequence[Evidence]) -> bool:
    if not evidence:
        return False
    if is_refusal(text):
        best = evidence[0]
        return best.similarity >= OVERRULE_SIMILARITY or (
            best.coverage >= OVERRULE_COVERAGE and best.similarity >= OVERRULE_COVERAGE_SIMILARITY
        )
    return _strong(evidence)


def _question_problem(question: str) -> str:
    if not question:
        return "Please type a question."
    if not content_words(question):
        return "Please ask a question in words; this one has none I can search for."
    return ""


def _refusal(question, text, passages, backend, timings, notices, standalone="") -> Answer:
    closest = "" if not passages else " The closest passages are listed as sources."
    return Answer(
        question=question,
        answer=text + closest,
        refused=True,
        citations=[],
        passages=list(passages),
        backend=backend,
        timings_ms=dict(timings),
        notices=list(notices),
        standalone_question=standalone,
    )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


__all__ = ["KIND_CHECKED", "Pipeline", "StreamEvent", "yes_share"]
