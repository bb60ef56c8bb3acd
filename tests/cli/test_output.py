"""What `rag ask` prints for an answer."""

from cli.output import render_answer_text
from ui.render import TENTATIVE_NOTE
from rag.types import Answer, Citation, TokenUsage


def _answer(published: str) -> Answer:
    quote = "The death toll rose to 259."
    citation = Citation(
        n=1, doc_id="lombok", chunk_id="lombok::0", title="Lombok earthquake", url="", published=published,
        quote=quote, start=0, end=len(quote),
    )
    return Answer(
        question="What is the death toll?", answer=f"259 [1]. {quote} [1].", refused=False, citations=[citation],
        passages=[], backend="extractive", short_answer="259",
    )


def test_the_short_answer_comes_first_with_the_date_of_its_source():
    lines = render_answer_text(_answer("2018-08-09")).splitlines()
    assert lines[0] == "Answer: 259 (as of 2018-08-09)"
    assert lines[1].startswith("Verified answer: 259 [1].")


def test_an_undated_short_answer_is_printed_without_a_date():
    assert render_answer_text(_answer("")).splitlines()[0] == "Answer: 259"


def test_a_tentative_answer_is_followed_by_the_caution_and_a_plain_one_is_not():
    answer = _answer("2018-08-09")
    assert TENTATIVE_NOTE not in render_answer_text(answer)
    answer.tentative = True
    lines = render_answer_text(answer).splitlines()
    assert lines[0] == "Answer: 259 (as of 2018-08-09)" and lines[1] == TENTATIVE_NOTE


def test_a_follow_up_is_printed_with_the_question_it_was_read_as():
    answer = _answer("2018-08-09")
    answer.standalone_question = "What is the death toll?"
    assert not render_answer_text(answer).startswith("Read as")
    answer.question, answer.standalone_question = "And now?", "What is the Lombok earthquake's death toll now?"
    lines = render_answer_text(answer).splitlines()
    assert lines[0] == "Read as: What is the Lombok earthquake's death toll now?"
    assert lines[1] == "Answer: 259 (as of 2018-08-09)"


def test_the_last_line_gives_the_timings_and_the_models_work_when_a_model_was_asked():
    answer = _answer("2018-08-09")
    assert "model call" not in render_answer_text(answer).splitlines()[-1]
    answer.usage = TokenUsage(prompt_tokens=900, completion_tokens=5, model_calls=1)
    assert render_answer_text(answer).splitlines()[-1].endswith("total 0 ms; 1 model call, 905 tokens)")
