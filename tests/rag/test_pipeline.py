import json
import re
from datetime import date

import pytest

from index.library import Library
from index.settings import IndexSettings
from rag.backends.usage import record
from rag.citations import answer_sentences
from rag.errors import BackendUnavailable, ConfigError
from rag.config import Config
from rag.pipeline import Pipeline
from rag.types import Answer, Filters, Retrieved, TokenUsage


@pytest.fixture()
def pipeline_with(scripted):
    def build(config, library, reply):
        generator = scripted(reply)
        return Pipeline(config.with_overrides(backend="embedded", answer_mode="generate"), library=library, generator=generator), generator

    return build


def test_extractive_answer_has_a_verified_citation(config, library):
    answer = Pipeline(config, library=library).ask("How much did the harbor bridge cost?")
    assert not answer.refused
    assert "240 million euros" in answer.answer
    citation = answer.citations[0]
    assert library.document(citation.doc_id).text[citation.start : citation.end] == citation.quote
    assert f"[{citation.n}]" in answer.answer
    assert answer.passages[citation.n - 1].n == citation.n


def test_stream_yields_passages_then_tokens_then_the_answer(config, library, pipeline_with):
    pipeline, _ = pipeline_with(config, library, "The bridge cost 240 million euros [1].")
    events = list(pipeline.stream("How much did the harbor bridge cost?"))
    assert isinstance(events[0], Retrieved) and events[0].passages
    assert all(isinstance(e, str) for e in events[1:-1]) and len(events) > 3
    assert isinstance(events[-1], Answer)
    assert set(events[-1].timings_ms) == {"retrieve", "first_token", "total"}


def test_generated_citation_is_renumbered_only_to_a_supporting_passage(config, library, pipeline_with):
    pipeline, _ = pipeline_with(config, library, "The bridge cost 240 million euros [1]. Bananas are blue [2].")
    answer = pipeline.ask("How much did the harbor bridge cost?")
    assert "Bananas" not in answer.answer
    assert all("240 million" in c.quote or "Bananas" not in c.quote for c in answer.citations)
    assert any("Removed" in n for n in answer.notices)


def test_model_that_cites_nothing_is_replaced_by_verified_evidence(config, library, pipeline_with):
    pipeline, _ = pipeline_with(config, library, "[2]")
    answer = pipeline.ask("How much did the harbor bridge cost?")
    assert not answer.refused and answer.citations
    assert "240 million" in answer.answer
    assert answer.backend.endswith("+extractive")


def test_model_refusal_is_kept_when_evidence_is_weak(config, library, pipeline_with):
    pipeline, _ = pipeline_with(config, library, "The articles I have do not answer this question.")
    answer = pipeline.ask("Which football club won the cup final in Madrid?")
    assert answer.refused and answer.citations == []
    assert answer.passages  # the closest passages are still shown


NEAR_PARAPHRASE = "Did the bridge cost 240 million euros and take four years to build?"


def test_a_written_refusal_of_a_near_paraphrase_of_a_sentence_is_overruled_by_that_sentence(config, library, pipeline_with):
    pipeline, _ = pipeline_with(config, library, "The articles I have do not answer this question.")
    answer = pipeline.ask(NEAR_PARAPHRASE)
    assert not answer.refused and answer.backend.endswith("+extractive") and "240 million" in answer.answer


def test_a_verify_mode_refusal_stands_even_for_a_near_paraphrase(config, library):
    model = Believer(trusted="no sentence holds this")  # asked about every candidate, believes none
    answer = _verifying(config, library, model).ask(NEAR_PARAPHRASE)
    assert model.asked and answer.refused and answer.citations == []


def test_a_question_about_this_week_is_not_answered_from_an_older_article(config, library):
    pipeline = Pipeline(config.with_overrides(backend="extractive"), library=library)
    question = "How many tonnes of apples did the Kessel valley pick {}?"
    in_week = pipeline.ask(question.format("this week"), filters=Filters(as_of=date(2024, 9, 24)))
    assert not in_week.refused and "81,000" in in_week.short_answer
    late = Filters(as_of=date(2024, 10, 30))  # the 2024 harvest article is 40 days old by then
    assert pipeline.ask(question.format("this week"), filters=late).refused
    assert not pipeline.ask(question.format("this autumn"), filters=late).refused


def test_passages_inside_the_prompt_are_numbered_like_the_answer_passages(config, library, pipeline_with):
    pipeline, generator = pipeline_with(config, library, "The bridge cost 240 million euros [1].")
    answer = pipeline.ask("How much did the harbor bridge cost?")
    prompt = generator.prompts[0][-1].content
    cited = answer.passages[answer.citations[0].n - 1]
    assert f"[{cited.n}]" in prompt and "240 million" in prompt
    assert prompt.index("passage it comes from") < prompt.index("Passages:") < prompt.index("Question:")


def test_unreachable_backend_falls_back_to_extractive_with_a_notice(config, library):
    class Down:
        name = "down"

        def stream(self, messages, *, max_tokens=256):
            raise BackendUnavailable("The Ollama server at http://127.0.0.1:9 is not reachable.")
            yield ""

    answer = Pipeline(config.with_overrides(backend="ollama"), library=library, generator=Down()).ask("How much did the harbor bridge cost?")
    assert answer.backend == "extractive"
    assert any("not reachable" in n for n in answer.notices)
    assert "240 million" in answer.answer


def test_follow_up_question_is_condensed_with_the_history(config, library):
    pipeline = Pipeline(config, library=library)
    history = [("When did Norrvik open the harbor bridge?", "The city opened it on Tuesday [1].")]
    answer = pipeline.ask("How much did it cost?", history=history)
    assert answer.standalone_question != "How much did it cost?"
    assert "240 million" in answer.answer


def test_a_follow_up_ranks_the_sentence_about_whom_its_pronoun_stands_for(tmp_path):
    # "How old is she?" shares only "old" with the town hall's sentence; the councillor's age is in the one naming her.
    article = {
        "id": "council", "title": "Council gets a new leader", "url": "https://example.org/c", "published": "2024/03/01",
        "text": "The town council of Varde chose a new leader on Monday. Ines Rolf, 47, will lead the council from April. "
        "The old town hall where it meets is 300 years old.",
    }
    (tmp_path / "council.jsonl").write_text(json.dumps(article) + "\n", encoding="utf-8")
    config = Config(index=IndexSettings(data_dir=tmp_path / "data", embed_model="hash-256"), backend="extractive", refusal_threshold=0.0)
    library = Library(config.index)
    assert library.ingest([tmp_path / "council.jsonl"]).ok
    answer = Pipeline(config, library=library).ask("How old is she?", history=[("Who will lead the Varde council?", "Ines Rolf [1].")])
    assert answer.standalone_question == "How old is Ines Rolf?"
    assert answer.short_answer == "47" and "300" not in answer.answer


@pytest.mark.parametrize("question", ["", "   ", "?!?...", "???"])
def test_empty_or_punctuation_question_gets_a_clear_reply(config, library, question):
    answer = Pipeline(config, library=library).ask(question)
    assert answer.refused and answer.answer.startswith("Please")


def test_very_long_question_is_shortened_with_a_notice(config, library):
    answer = Pipeline(config, library=library).ask("bridge cost " * 20000)
    assert any("shortened" in n for n in answer.notices)


def test_unknown_backend_is_a_config_error(config, library):
    with pytest.raises(ConfigError):
        Pipeline(config, library=library).ask("bridge?", backend="gpt-9")


def test_answer_json_has_the_documented_shape(config, library):
    data = Pipeline(config, library=library).ask("How much did the harbor bridge cost?").to_json()
    assert {"question", "answer", "refused", "citations", "passages", "backend", "timings_ms"} <= set(data)
    assert {"n", "doc_id", "chunk_id", "title", "url", "published", "quote", "start", "end"} <= set(data["citations"][0])
    assert {"n", "doc_id", "chunk_id", "title", "text", "score"} <= set(data["passages"][0])


@pytest.mark.parametrize("mode", ["select", "verify"])  # verify falls back to select for a model that cannot score
def test_select_mode_answers_with_the_chosen_evidence_sentence(config, library, scripted, mode):
    generator = scripted("1")
    pipeline = Pipeline(config.with_overrides(backend="embedded", answer_mode=mode), library=library, generator=generator)
    answer = pipeline.ask("How much did the harbor bridge cost?")
    assert "Number:" in generator.prompts[0][-1].content
    assert not answer.refused and "240 million euros" in answer.answer
    assert answer.citations[0].quote.rstrip(".") in answer.answer


def test_select_mode_zero_means_refusal(config, library, scripted):
    pipeline = Pipeline(config.with_overrides(backend="embedded", answer_mode="select"), library=library, generator=scripted("0"))
    answer = pipeline.ask("Which football club won the cup final in Madrid?")
    assert answer.refused and answer.citations == []


def test_answer_mode_auto_verifies_for_the_embedded_model_and_generates_for_servers(config):
    assert config.answer_mode_for("embedded") == "verify"
    assert config.answer_mode_for("ollama") == "generate"
    assert config.with_overrides(answer_mode="generate").answer_mode_for("embedded") == "generate"


def test_warm_up_primes_the_generator_with_the_fixed_instructions(config, library, scripted):
    class Warmable(scripted):
        def warm_up(self, messages):
            self.warmed = list(messages)

    generator = Warmable("1")
    Pipeline(config.with_overrides(backend="embedded"), library=library, generator=generator).warm_up()
    assert "Reply with the number" in generator.warmed[-1].content


def test_answer_json_round_trips(config, library):
    from rag.types import Answer

    answer = Pipeline(config, library=library).ask("How much did the harbor bridge cost?")
    again = Answer.from_json(answer.to_json())
    assert again.to_json() == answer.to_json()
    assert again.citations == answer.citations


class Believer:
    """A fake model for verify mode: believes sentences holding `trusted` words, records what it was asked.

    Asked for the answer itself (the EXTRACT prompt), it replies `copies` (nothing by default).
    """

    name = "believer"

    def __init__(self, trusted: str = "", belief: float = 0.9, copies: str = "") -> None:
        self.trusted, self.belief, self.copies = trusted, belief, copies
        self.otherwise: dict[str, float] = {}  # beliefs in sentences without `trusted`, by a word they hold
        self.asked: list[str] = []
        self.extracted: list[str] = []
        self.calls: list[str] = []  # "verify", "extract" and "pick", in the order the model was asked
        self.picked: list[list[str]] = []  # the sentences offered to pick from (SELECT)

    def stream(self, messages, *, max_tokens=256):
        assert "shortest phrase" in messages[-1].content and max_tokens <= 16, "verify mode only asks for a short answer"
        self.extracted.append(messages[-1].content.split("Sentence: ", 1)[1].split("\n\nQuestion:", 1)[0])
        self.calls.append("extract")
        yield self.copies

    def choice_probabilities(self, messages, options):
        if "Sentences:\n" in messages[-1].content:  # SELECT: which numbered sentence answers (0: none)
            return self._pick(messages[-1].content.split("Sentences:\n", 1)[1].split("\n\nQuestion:", 1)[0], options)
        sentence = messages[-1].content.split("Sentence: ", 1)[1].split("\n\nQuestion:", 1)[0]
        self.asked.append(sentence)
        self.calls.append("verify")
        yes = self.belief if self.trusted and self.trusted in sentence else self.otherwise.get(next((w for w in self.otherwise if w in sentence), ""), 0.05)
        return {"yes": yes * 0.9, "Yes": yes * 0.1, "no": (1 - yes) * 0.9, "No": (1 - yes) * 0.1, **{o: 0.0 for o in options if o not in ("yes", "Yes", "no", "No")}}


    def _pick(self, numbered: str, options):
        """The first numbered sentence holding `trusted`, else none ("0")."""
        sentences = [line.split(". ", 1)[1] for line in numbered.splitlines()]
        self.picked.append(sentences)
        self.calls.append("pick")
        chosen = next((str(n) for n, text in enumerate(sentences, start=1) if self.trusted and self.trusted in text), "0")
        return {o: 0.9 if o == chosen else 0.1 / len(options) for o in options}


def _verifying(config, library, model) -> Pipeline:
    """Verify mode with the shipped threshold and floor, around the fake `model`."""
    shipped = Config()
    overrides = {"verify_threshold": shipped.verify_threshold, "verify_floor": shipped.verify_floor}
    return Pipeline(config.with_overrides(backend="embedded", **overrides), library=library, generator=model)


def test_verify_mode_answers_with_the_sentence_the_model_believes(config, library):
    model = Believer(trusted="240 million")
    answer = Pipeline(config.with_overrides(backend="embedded"), library=library, generator=model).ask(
        "How much did the harbor bridge cost?"
    )
    assert not answer.refused and "240 million euros" in answer.answer
    assert answer.citations and library.document(answer.citations[0].doc_id).text[
        answer.citations[0].start : answer.citations[0].end
    ] == answer.citations[0].quote
    assert 1 <= len(model.asked) <= 2


class CountingBeliever(Believer):
    """A Believer that reports tokens as a back end does: the prompt's words read, the reply's words written."""

    def stream(self, messages, *, max_tokens=256):
        record(len(messages[-1].content.split()), len(self.copies.split()))
        yield from super().stream(messages, max_tokens=max_tokens)

    def choice_probabilities(self, messages, options):
        record(len(messages[-1].content.split()))
        return super().choice_probabilities(messages, options)


def test_an_answer_counts_every_model_call_and_the_tokens_its_back_end_reports(config, library):
    model = CountingBeliever(trusted="240 million", belief=0.3, copies="240 million euros")
    answer = _verifying(config, library, model).ask("How much did the harbor bridge cost?")
    assert not answer.refused and len(model.calls) >= 2  # precondition: judged, then asked for the phrase
    assert answer.usage.model_calls == len(model.calls)
    assert answer.usage.completion_tokens == 3 * model.calls.count("extract")
    assert answer.usage.prompt_tokens > 20 * len(model.calls)  # every prompt holds a sentence and the question
    assert answer.to_json()["usage"]["total_tokens"] == answer.usage.prompt_tokens + answer.usage.completion_tokens
    assert Answer.from_json(answer.to_json()).usage == answer.usage
    quoted = Pipeline(config.with_overrides(backend="extractive"), library=library).ask("How much did the harbor bridge cost?")
    assert quoted.usage == TokenUsage()  # no model, nothing counted


def test_verify_mode_refuses_when_belief_stays_below_the_floor_without_asking_for_the_answer(config, library):
    model = Believer(trusted="240 million", belief=0.2, copies="240 million euros")
    pipeline = _verifying(config, library, model)
    answer = pipeline.ask("How much did the harbor bridge cost?")
    assert answer.refused and answer.citations == [] and model.asked
    assert model.extracted == []


def test_a_belief_between_floor_and_threshold_answers_when_the_model_copies_the_answer_from_the_sentence(config, library):
    model = Believer(trusted="240 million", belief=0.3, copies="240 million euros")
    pipeline = _verifying(config, library, model)
    answer = pipeline.ask("How much did the harbor bridge cost?")
    assert not answer.refused and "240 million euros" in answer.answer
    assert model.extracted and "240 million" in model.extracted[0]


def test_the_best_ranked_sentence_in_doubt_is_the_answer_when_the_model_copies_its_answer(config, library):
    model = Believer(trusted="240 million", belief=0.3, copies="240 million euros")
    model.otherwise = {"": 0.9}  # every other sentence is believed more
    pipeline = _verifying(config, library, model)
    answer = pipeline.ask("What did the bridge cost in euros?")
    assert "240 million" in model.asked[0]  # precondition: that sentence ranks first
    assert not answer.refused and "240 million" in answer.answer
    assert len(model.asked) == 1  # answered before asking about the next sentence


def test_a_more_believed_sentence_wins_when_the_best_ranked_one_in_doubt_copies_no_answer(config, library):
    model = Believer(trusted="240 million", belief=0.3, copies="Norrvik")  # a phrase only the other sentences hold
    model.otherwise = {"": 0.9}
    pipeline = _verifying(config, library, model)
    answer = pipeline.ask("What did the bridge cost in euros?")
    assert "240 million" in model.asked[0] and len(model.asked) == 2  # the third only when these give no answer
    assert not answer.refused and "240 million" not in answer.answer
    holding = next(s for s in model.asked[1:] if "Norrvik" in s)
    assert answer.short_answer == "Norrvik" and " ".join(holding.split()[:4]) in answer.answer


def test_a_believed_sentence_is_not_the_answer_when_the_model_asked_for_the_phrase_says_none(config, library):
    """The model's two readings must agree: believed, but "none" when asked for the answer, does not answer."""
    model = Believer(trusted="240 million", belief=0.9, copies="none")
    answer = _verifying(config, library, model).ask("How much did the harbor bridge cost?")
    assert answer.refused and model.extracted and "240 million" in model.extracted[0]
    agreeing = Believer(trusted="240 million", belief=0.9, copies="240 million euros")
    assert _verifying(config, library, agreeing).ask("How much did the harbor bridge cost?").short_answer == "240 million euros"


def test_a_believed_reason_stands_when_the_model_finds_no_phrase_to_copy(config, library):
    """A reason is a clause: "none" to the phrase prompt does not veto it, and the patterns take the clause."""
    model = Believer(trusted="warm spring", belief=0.9, copies="none")
    answer = _verifying(config, library, model).ask("Why did the Kessel valley orchards do so well this autumn?")
    assert model.extracted and not answer.refused
    assert "warm spring" in answer.answer and "warm spring" in (answer.short_answer or "")


def test_a_believed_sentence_without_a_phrase_of_the_kind_asked_is_not_an_answer(config, library):
    """Support is not enough: a "how much" question needs a number in the sentence the model believes."""
    model = Believer(trusted="Norrvik", belief=0.9, copies="Tuesday")
    pipeline = _verifying(config, library, model)
    answer = pipeline.ask("How much did the city of Norrvik pay for the harbor bridge?")
    assert answer.refused or any(ch.isdigit() for ch in (answer.short_answer or ""))


@pytest.mark.parametrize("reply", ["none", "300 million euros", "The bridge"])
def test_a_belief_under_the_threshold_is_refused_when_the_copied_answer_is_missing_invented_or_only_repeats_the_question(
    config, library, reply
):
    model = Believer(trusted="240 million", belief=0.3, copies=reply)
    pipeline = _verifying(config, library, model)
    answer = pipeline.ask("How much did the harbor bridge cost?")
    assert answer.refused and model.extracted


@pytest.mark.parametrize("candidates", [1, 2, 5])
def test_verify_mode_asks_the_model_about_at_most_verify_candidates_sentences(config, library, candidates):
    model = Believer(trusted="no sentence holds this")  # believes nothing, so every candidate is asked about
    answer = _verifying(config.with_overrides(verify_candidates=candidates), library, model).ask(
        "What did the harbor bridge cost?"
    )
    assert answer.refused
    assert len(set(model.asked)) == len(model.asked) == candidates


def test_a_best_sentence_the_model_is_sure_of_answers_without_asking_about_the_next(config, library):
    model = Believer(trusted="240 million", belief=0.9)
    answer = _verifying(config.with_overrides(verify_sure=0.6), library, model).ask("How much did the harbor bridge cost?")
    assert not answer.refused and "240 million euros" in answer.answer
    assert len(model.asked) == 1 and "240 million" in model.asked[0]
    assert model.calls == ["verify", "extract"]


@pytest.mark.parametrize(("belief", "sure"), [(0.5, 0.6), (0.9, 0.0)])
def test_the_next_sentence_is_asked_about_when_the_best_is_believed_below_verify_sure_or_it_is_off(config, library, belief, sure):
    model = Believer(trusted="240 million", belief=belief)
    answer = _verifying(config.with_overrides(verify_sure=sure), library, model).ask("How much did the harbor bridge cost?")
    assert not answer.refused and "240 million euros" in answer.answer
    assert len(model.asked) == 2 and "240 million" in model.asked[0]


def test_the_last_candidate_is_the_sentence_the_model_picks_among_those_ranked_lower(config, library):
    # "The opposition leader, Piet Vann, called the project a vanity plan." shares few words with the
    # question and ranks fourth, after three sentences about the bridge.
    model = Believer(trusted="Piet Vann")
    answer = _verifying(config, library, model).ask("Who criticised the harbor bridge?")
    assert not answer.refused and answer.short_answer == "Piet Vann"
    assert model.calls.count("pick") == 1 and len(model.picked[0]) > 1
    assert len(model.asked) == 3 and "Piet Vann" in model.asked[2] and "Piet Vann" not in " ".join(model.asked[:2])


def test_when_the_model_picks_no_sentence_the_next_ranked_one_is_asked_about_last(config, library):
    model = Believer(trusted="no sentence holds this")
    answer = _verifying(config, library, model).ask("Who criticised the harbor bridge?")
    assert answer.refused and len(model.picked) == 1
    assert model.asked[2] == model.picked[0][0] and model.picked[0][0] not in model.asked[:2]


def test_a_sure_sentence_that_holds_no_answer_of_the_kind_asked_lets_the_next_ones_be_asked_about(config, library):
    model = Believer(trusted="240 million", belief=0.9, copies="none")
    answer = _verifying(config.with_overrides(verify_sure=0.6), library, model).ask("How much did the harbor bridge cost?")
    assert answer.refused
    assert len(model.asked) == len(set(model.asked)) >= 2 and "240 million" in model.asked[0]
    assert not any("240 million" in s for s in model.asked[1:])
    assert model.extracted.count(model.asked[0]) == 1  # the sure sentence is offered once, not again by the threshold


def test_a_question_that_may_take_several_sentences_asks_about_the_next_even_when_sure_of_the_best(config, library):
    model = Believer(trusted="240 million", belief=0.9)
    answer = _verifying(config.with_overrides(verify_sure=0.6), library, model).ask("Why did the harbor bridge cost 240 million euros?")
    assert "240 million" in model.asked[0]
    assert model.calls[:2] == ["verify", "verify"]  # the second sentence is weighed before the first is taken
    assert not answer.refused


def test_verify_sure_outside_zero_to_one_is_a_config_error(config):
    for bad in (-0.1, 1.5):
        with pytest.raises(ConfigError, match="verify_sure"):
            config.with_overrides(verify_sure=bad)


@pytest.mark.parametrize(("belief", "below", "tentative"), [(0.5, 0.6, True), (0.7, 0.6, False), (0.5, 0.0, False)])
def test_an_answer_carries_the_models_belief_and_is_tentative_below_tentative_below(config, library, belief, below, tentative):
    model = Believer(trusted="240 million", belief=belief)
    answer = _verifying(config.with_overrides(tentative_below=below), library, model).ask("How much did the harbor bridge cost?")
    assert not answer.refused and "240 million euros" in answer.answer
    assert answer.confidence == pytest.approx(belief, abs=1e-6)
    assert answer.tentative is tentative
    assert answer.to_json()["tentative"] is tentative


def test_an_answer_no_model_judged_has_no_confidence_and_is_never_tentative(config, library):
    answer = Pipeline(config.with_overrides(backend="extractive", tentative_below=0.99), library=library).ask(
        "How much did the harbor bridge cost?"
    )
    assert not answer.refused
    assert answer.confidence is None and answer.tentative is False


def test_a_refusal_has_no_confidence(config, library):
    model = Believer(trusted="no sentence holds this")
    answer = _verifying(config.with_overrides(tentative_below=0.6), library, model).ask("How much did the harbor bridge cost?")
    assert answer.refused and answer.confidence is None and not answer.tentative


def test_tentative_below_outside_zero_to_one_is_a_config_error(config):
    for bad in (-0.1, 1.5):
        with pytest.raises(ConfigError, match="tentative_below"):
            config.with_overrides(tentative_below=bad)


def test_verify_candidates_outside_one_to_twelve_is_a_config_error(config):
    from index.errors import ConfigError

    for bad in (0, 13):
        with pytest.raises(ConfigError, match="verify_candidates"):
            config.with_overrides(verify_candidates=bad)


def test_verify_mode_never_asks_about_a_sentence_without_the_count_a_question_wants(config, library):
    model = Believer(trusted=" ")  # would believe anything it is asked about
    pipeline = Pipeline(config.with_overrides(backend="embedded"), library=library, generator=model)
    answer = pipeline.ask("How many bridges did the harbor city close?")
    assert all(any(ch.isdigit() for ch in s) or "million" in s for s in model.asked)
    assert answer.refused or any(ch.isdigit() for ch in answer.answer)



def test_questions_asked_while_the_model_loads_are_answered_extractively(config, library, scripted):
    import threading

    release = threading.Event()

    class Loading(scripted):
        loaded = False

        def warm_up(self, messages):
            release.wait(5)
            self.loaded = True

    generator = Loading("The bridge cost 240 million euros [1].")
    pipeline = Pipeline(config.with_overrides(backend="embedded", answer_mode="generate"), library=library, generator=generator)
    warming = threading.Thread(target=pipeline.warm_up)
    warming.start()
    try:
        early = pipeline.ask("How much did the harbor bridge cost?")
    finally:
        release.set()
        warming.join(5)
    assert early.backend == "extractive" and not early.refused and early.citations
    assert any("still loading" in n for n in early.notices)
    assert generator.prompts == []
    later = pipeline.ask("How much did the harbor bridge cost?")
    assert later.backend == "embedded" and generator.prompts


def test_the_extractive_back_end_refuses_a_count_question_that_no_sentence_with_a_number_answers(config, library):
    pipeline = Pipeline(config, library=library)
    assert pipeline.ask("How many critics argued that the money should have gone to schools?").refused
    counted = pipeline.ask("How many tonnes of apples did the farmers in the Kessel valley pick?")
    assert not counted.refused and "81,000" in counted.answer


def test_an_answer_leads_with_its_short_answer_and_every_sentence_keeps_its_citation(config, library):
    model = Believer(trusted="240 million", copies="240 million euros")
    answer = _verifying(config, library, model).ask("How much did the harbor bridge cost?")
    assert answer.short_answer == "240 million euros"
    assert answer.answer.startswith("240 million euros [")
    assert answer.to_json()["short_answer"] == "240 million euros"
    for sentence in answer_sentences(answer.answer):
        assert re.search(r"\[\d+\]", sentence), sentence


def test_a_reason_question_gets_each_believed_sentence_in_document_order(config, library):
    model = Believer(trusted="bridge", belief=0.9, copies="cut commuting times by half")
    answer = _verifying(config, library, model).ask("Why did the city of Norrvik build the harbor bridge?")
    assert not answer.refused and answer.short_answer
    body = answer.answer[answer.answer.index("].") + 2 :].strip()
    believed = [s for s in model.asked if "bridge" in s]
    assert 2 <= len(answer_sentences(body)) <= 3 and len(believed) >= 2
    assert body.startswith(" ".join(believed[0].split()[:4]))  # the best one first
    starts = [body.index(" ".join(s.split()[:4])) for s in believed[1:] if " ".join(s.split()[:4]) in body]
    assert starts and starts == sorted(starts)  # the others in the article's order


def test_a_yes_no_question_is_answered_yes_or_no_from_the_believed_sentence(config, library):
    model = Believer(trusted="240 million", belief=0.9, copies="none")
    answer = _verifying(config, library, model).ask("Did the harbor bridge cost 240 million euros?")
    assert answer.short_answer == "Yes" and answer.answer.startswith("Yes [")
    assert answer.citations and "240 million" in answer.citations[0].quote


FARM = (
    "Two brothers who ran a melon farm linked to a deadly outbreak pleaded not guilty on Thursday. "
    "Eric and Ryan Jansen, of the now closed Jansen Farms, were each charged with six counts. "
    "Their trial is set for December."
)


def _farm_library(tmp_path, config, text: str) -> Library:
    articles = tmp_path / "farm.jsonl"
    articles.write_text(json.dumps({"id": "farm", "title": "Melon farmers in court", "text": text}) + "\n", encoding="utf-8")
    library = Library(config.index)
    assert library.ingest([articles]).ok
    return library


def test_a_believed_sentence_that_leaves_unnamed_who_is_asked_is_answered_by_the_next_sentence_naming_them(tmp_path, config):
    model = Believer(trusted="Two brothers", belief=0.9, copies="Eric and Ryan Jansen")
    library = _farm_library(tmp_path, config, FARM)
    answer = _verifying(config, library, model).ask("Which two brothers ran the melon farm linked to the outbreak?")
    assert answer.short_answer == "Eric and Ryan Jansen" and not answer.refused
    assert [c.quote for c in answer.citations] == FARM.split(" Their trial")[0].replace("Thursday. ", "Thursday.\n").splitlines()
    for citation in answer.citations:
        assert library.document("farm").text[citation.start : citation.end] == citation.quote


def _read_on(text: str) -> bool:
    """Was the farm article's first sentence read with the next one?"""
    return re.search(r"Thursday\.\s+\S", text) is not None


class PairReader(Believer):
    """A Believer that copies `copies` from one sentence but answers `pair_copies` for two read together."""

    def __init__(self, pair_copies: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pair_copies = pair_copies

    def stream(self, messages, *, max_tokens=256):
        reply = "".join(super().stream(messages, max_tokens=max_tokens))
        yield self.pair_copies if _read_on(self.extracted[-1]) else reply


@pytest.mark.parametrize(("text", "pair_copies"), [
    (FARM, "none"),  # read with the next sentence, the model finds no answer
    (FARM.replace("Eric and Ryan Jansen, of the now closed Jansen Farms,", "They"), "Jansen"),  # the next one names nobody
    (FARM.replace(" Eric and Ryan Jansen, of the now closed Jansen Farms, were each charged with six counts.", "\n\nEric and Ryan Jansen\n\n"),
     "Eric and Ryan Jansen"),  # a line that is only the names says nothing of them
])
def test_the_next_sentence_answers_only_when_it_holds_the_short_answer_the_model_copies(tmp_path, config, text, pair_copies):
    model = PairReader(pair_copies, trusted="Two brothers", belief=0.9, copies="Jansen")
    answer = _verifying(config, _farm_library(tmp_path, config, text), model).ask(
        "Which two brothers ran the melon farm linked to the outbreak?"
    )
    assert any(_read_on(s) for s in model.extracted)  # precondition: the two sentences were read together
    assert answer.refused and answer.short_answer is None


def test_only_a_question_about_people_is_read_on_through_the_next_sentence(tmp_path, config):
    model = Believer(trusted="Two brothers", belief=0.9, copies="Jansen Farms")
    answer = _verifying(config, _farm_library(tmp_path, config, FARM), model).ask("Where did the two brothers run their farm?")
    assert model.extracted and answer.refused  # precondition: the believed sentence names no place
    assert not any(_read_on(s) for s in model.asked + model.extracted)


def test_a_refusal_has_no_short_answer(config, library):
    model = Believer(trusted="nothing of the kind", belief=0.9)
    answer = _verifying(config, library, model).ask("How many ferries cross the harbor each day?")
    assert answer.refused and answer.short_answer is None and answer.to_json()["short_answer"] is None


class PhraseWriter:
    """A fake server model for generate mode: writes `answer`, and `phrase` when asked for the short answer."""

    name = "writer"

    def __init__(self, answer: str, phrase: str) -> None:
        self.answer, self.phrase = answer, phrase
        self.asked_for_phrase = 0

    def stream(self, messages, *, max_tokens=256):
        if "shortest phrase" in messages[-1].content:
            self.asked_for_phrase += 1
            yield self.phrase
            return
        yield self.answer


@pytest.mark.parametrize(
    ("phrase", "short"),
    [("240 million euros", "240 million euros"), ("a large sum of money", "240 million euros")],
)
def test_a_written_answer_leads_with_the_models_phrase_or_a_pattern_from_its_cited_quote(config, library, phrase, short):
    model = PhraseWriter("The bridge cost 240 million euros [1].", phrase)
    pipeline = Pipeline(config.with_overrides(backend="openai", answer_mode="generate"), library=library, generator=model)
    answer = pipeline.ask("How much did the harbor bridge cost?")
    assert model.asked_for_phrase == 1
    assert answer.short_answer == short and answer.answer.startswith(f"{short} [")
    assert "The bridge cost 240 million euros [" in answer.answer


class Naysayer(Believer):
    """Believes the sentence answers, but says no to the later checks whose prompt holds one of `markers`, and counts them."""

    def __init__(self, *markers: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.markers, self.checks = markers, 0

    def choice_probabilities(self, messages, options):
        if any(marker in messages[-1].content for marker in self.markers):
            self.checks += 1
            return {"yes": 0.05, "Yes": 0.0, "no": 0.95, "No": 0.0, **{o: 0.0 for o in options if o not in ("yes", "Yes", "no", "No")}}
        return super().choice_probabilities(messages, options)


CONFIRM_CHECK, KIND_CHECK = "Does the sentence say that the proposed answer", "kind of thing the question asks for"
YES_NO_READS = ("answer the question itself as the sentence does", "Using only the sentence, answer yes or no")


@pytest.mark.parametrize(("model", "short"), [
    (Believer(trusted="240 million", belief=0.65, copies="none"), "Yes"),
    (Naysayer(*YES_NO_READS, trusted="240 million", belief=0.65, copies="none"), "No"),
])
def test_a_yes_no_answers_confidence_is_its_belief_times_how_often_that_read_is_right(config, library, model, short):
    shipped = Config()
    answer = _verifying(config, library, model).ask("Did the harbor bridge cost 240 million euros?")
    assert answer.short_answer == short
    rate = shipped.yes_read_precision if short == "Yes" else shipped.no_read_precision
    assert answer.confidence == pytest.approx(0.65 * rate)
    # "No" reads are right less often than "Yes" ones: from a sentence believed at 0.65 only the "No" is tentative
    assert answer.tentative is (short == "No")


@pytest.mark.parametrize("read_no", YES_NO_READS)
def test_a_sentence_the_model_reads_both_yes_and_no_gives_no_yes_no_answer(config, library, read_no):
    model = Naysayer(read_no, trusted="240 million", belief=0.9, copies="none")
    answer = _verifying(config, library, model).ask("Did the harbor bridge cost 240 million euros?")
    assert model.checks >= 1 and answer.refused and answer.short_answer is None


def test_read_rates_of_1_take_a_yes_no_read_at_its_word(config, library):
    model = Naysayer(*YES_NO_READS, trusted="240 million", belief=0.8, copies="none")
    trusting = config.with_overrides(yes_read_precision=1.0, no_read_precision=1.0)
    answer = _verifying(trusting, library, model).ask("Did the harbor bridge cost 240 million euros?")
    assert answer.short_answer == "No" and answer.confidence == pytest.approx(0.8) and not answer.tentative


def test_a_short_answer_the_model_does_not_confirm_is_no_answer(config, library):
    model = Naysayer(CONFIRM_CHECK, trusted="240 million", copies="240 million euros")
    answer = _verifying(config.with_overrides(confirm_threshold=0.5), library, model).ask("How much did the harbor bridge cost?")
    assert answer.refused and model.checks >= 1


def test_a_confirmed_short_answer_stands_and_the_check_is_off_at_zero(config, library):
    model = Believer(trusted="240 million", copies="240 million euros")
    answer = _verifying(config.with_overrides(confirm_threshold=0.5), library, model).ask("How much did the harbor bridge cost?")
    assert answer.short_answer == "240 million euros"
    doubter = Naysayer(CONFIRM_CHECK, trusted="240 million", copies="240 million euros")
    answer = _verifying(config.with_overrides(confirm_threshold=0.0), library, doubter).ask("How much did the harbor bridge cost?")
    assert answer.short_answer == "240 million euros" and doubter.checks == 0


def test_a_short_answer_the_model_takes_for_another_kind_of_thing_is_no_answer(config, library):
    model = Naysayer(KIND_CHECK, trusted="Lena Holm", copies="Lena Holm")
    answer = _verifying(config.with_overrides(kind_threshold=0.5), library, model).ask("Which mayor spoke about the bridge?")
    assert answer.refused and model.checks >= 1


def test_the_kind_check_is_off_at_zero_and_skips_numbers(config, library):
    skeptic = Naysayer(KIND_CHECK, trusted="Lena Holm", copies="Lena Holm")
    answer = _verifying(config, library, skeptic).ask("Which mayor spoke about the bridge?")
    assert answer.short_answer == "Lena Holm" and skeptic.checks == 0
    counter = Naysayer(KIND_CHECK, trusted="240 million", copies="240 million euros")
    answer = _verifying(config.with_overrides(kind_threshold=0.5), library, counter).ask("How much did the harbor bridge cost?")
    assert answer.short_answer == "240 million euros" and counter.checks == 0


def test_a_believed_sentence_from_an_article_that_does_not_name_the_questions_subject_is_no_answer(config, library):
    model = Believer(trusted="Piet Vann", copies="Piet Vann")
    answer = _verifying(config, library, model).ask("Who is the opposition leader in Kessel?")
    assert answer.refused and answer.short_answer is None
    answer = _verifying(config, library, Believer(trusted="Piet Vann", copies="Piet Vann")).ask("Who is the opposition leader in Norrvik?")
    assert answer.short_answer == "Piet Vann"


def test_who_thought_what_a_believed_quote_says_is_answered_by_its_speaker_when_the_model_copies_none(tmp_path):
    """The small model, asked for the phrase, misses a speaker named after the quote; the sentence names one."""
    config = Config(index=IndexSettings(data_dir=tmp_path / "quotes", embed_model="hash-256"), backend="extractive", refusal_threshold=0.0)
    corpus = tmp_path / "quotes.jsonl"
    text = (
        "Ministers met in Norrvik on Tuesday to plan the harbor patrol. "
        "“Given how weak both governments are, it is hard to see how this patrol plan will work,” said one EU diplomat. "
        "The ministers will meet again in June."
    )
    corpus.write_text(json.dumps({"id": "patrol", "title": "Harbor patrol plan", "published": "2024/05/02", "text": text}) + "\n")
    library = Library(config.index)
    assert library.ingest([corpus]).ok
    question = "Who doubted the patrol plan would work, given how weak both governments are?"
    model = Believer(trusted="hard to see", belief=0.9, copies="none")
    answer = _verifying(config, library, model).ask(question)
    assert model.extracted and answer.short_answer == "one EU diplomat"
    assert "said one EU diplomat" in answer.answer
    # Without a speaker beside the quote, "none" still vetoes the sentence.
    unsaid = tmp_path / "unsaid.jsonl"
    unsaid.write_text(json.dumps({"id": "patrol", "title": "Harbor patrol plan", "text": text.replace(",” said one EU diplomat", ".”")}) + "\n")
    other = Config(index=IndexSettings(data_dir=tmp_path / "unsaid", embed_model="hash-256"), backend="extractive", refusal_threshold=0.0)
    other_library = Library(other.index)
    assert other_library.ingest([unsaid]).ok
    assert _verifying(other, other_library, Believer(trusted="hard to see", belief=0.9, copies="none")).ask(question).refused
