"""Multiple-choice questions: which option the retrieved passages support, as judged by a local model.

The model reads the sentences of the passages that best match the question and its options, and
its probability for each option letter is read from one forward
pass; nothing is generated, so the pick is always one of the options.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.backends.base import ChoiceScorer
from rag.extractive import compact_context, rank_sentences
from rag.prompts import CHOOSE, OPTION_LETTERS, format_options, format_passages
from rag.types import Passage

# What the model reads: the best sentences for question and options, within about 300 tokens.
CONTEXT_SENTENCES = 6
CONTEXT_CHARS = 1300


def choose_option(
    scorer: ChoiceScorer,
    question: str,
    options: Sequence[str],
    passages: Sequence[Passage],
) -> tuple[int, list[float]] | None:
    """The index of the option the passages best support and every option's probability, or None.

    None when there are no options or no passages (nothing to judge by). Options beyond the
    eighth are not offered to the model.
    """
    options = list(options)[: len(OPTION_LETTERS)]
    if not options or not passages:
        return None
    # Sentences that mention the options are what tells them apart.
    # Single sentences, as measured on realtimeqa-dev (docs/evals.md): joining sentences that point
    # back changes 146 of its 209 prompts and has not been measured there.
    evidence = rank_sentences(" ".join([question, *options]), passages, join_back=False)
    rows = compact_context(evidence, sentences=CONTEXT_SENTENCES, max_chars=CONTEXT_CHARS)
    if not rows:
        return None
    messages = CHOOSE.render(passages=format_passages(rows), question=question, options=format_options(options))
    letters = list(OPTION_LETTERS[: len(options)])
    probabilities = scorer.choice_probabilities(messages, letters)
    values = [probabilities.get(letter, 0.0) for letter in letters]
    total = sum(values)
    if total <= 0:
        return None
    shares = [v / total for v in values]
    return max(range(len(options)), key=lambda i: shares[i]), shares


__all__ = ["choose_option"]
