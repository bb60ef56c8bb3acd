"""The model's work per question, from the Answer JSON `usage`: what each answer cost to compute.

- `model_calls_mean`: model calls per question (judging sentences, copying the short answer,
  rewriting a follow-up); each call is a forward pass over a prompt, so this drives latency on CPU.
- `prompt_tokens_mean`: tokens the model read per question.
- `completion_tokens_mean`: tokens the model wrote per question.

Means over the questions that report usage (errors and answers saved before usage was counted are
left out). Range: 0 upwards, lower is better; None when no question reports it.
"""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics.metric import Metric, MetricModule
from evals.records import EvalRecord

# Answer JSON usage key -> metric name
USAGE = {"model_calls": "model_calls_mean", "prompt_tokens": "prompt_tokens_mean", "completion_tokens": "completion_tokens_mean"}


def compute(records: Sequence[EvalRecord]) -> dict[str, float | None]:
    reported = [r.answer["usage"] for r in records if not r.error and isinstance(r.answer.get("usage"), dict)]
    return {
        name: (sum(float(u.get(key, 0)) for u in reported) / len(reported) if reported else None)
        for key, name in USAGE.items()
    }


MODULE = MetricModule(
    metrics=(
        Metric("model_calls_mean", "model calls per question", better="lower", unit="per_question"),
        Metric("prompt_tokens_mean", "prompt tokens the model read per question", better="lower", unit="per_question"),
        Metric("completion_tokens_mean", "tokens the model wrote per question", better="lower", unit="per_question"),
    ),
    compute=compute,
)
