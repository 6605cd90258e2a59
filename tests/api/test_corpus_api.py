"""Every OMG MIWG reference model deploys or is refused with a clear error — never a 500."""

from __future__ import annotations

import pytest

from tests.api.helpers import FIXTURES, upload

MODELS = sorted((FIXTURES / "miwg").glob("*.bpmn"))


def test_the_corpus_is_there():
    assert len(MODELS) == 21


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_reference_model_deploys_or_is_refused_clearly(api, path):
    response = upload(api.as_("dana"), path)

    assert response.status_code in (201, 422), response.data[:300]
    if response.status_code == 422:
        assert response.mimetype == "application/problem+json"
        for error in response.json["errors"]:
            assert error["file"] == path.name
            assert error["message"]
