"""Models: list, retrieve each configured model, unknown model."""

from __future__ import annotations

import pytest
from oaic.checks import common, models

pytestmark = pytest.mark.needs("models")
UNKNOWN_MODEL = "oaic-no-such-model-7b3e"


@pytest.mark.covers("models.list.*", "models.object.shape", "errors.body.shape")
def test_list_models(api, target, verdicts):
    ex = api.get("/models")
    verdicts.extend(models.model_list(ex))
    configured = sorted({m for m in (target.model(a) for a in ("chat", "tools", "embeddings", "completions",
                                                                 "responses")) if m})
    verdicts.extend(models.list_contains(ex, configured))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("models.retrieve.shape", "models.object.shape")
def test_retrieve_configured_models(api, target, verdicts):
    configured = sorted({m for m in (target.model(a) for a in ("chat", "tools", "embeddings", "completions",
                                                                 "responses")) if m})
    for model_id in configured:
        ex = api.get(f"/models/{model_id}")
        verdicts.extend(models.model_retrieve(ex, model_id))


@pytest.mark.covers("models.retrieve.unknown-404", "errors.body.shape")
def test_retrieve_unknown_model(api, verdicts):
    ex = api.get(f"/models/{UNKNOWN_MODEL}")
    verdicts.extend(models.unknown_model(ex))
    verdicts.extend(common.error_body(ex))
