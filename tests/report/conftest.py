from __future__ import annotations

import pytest
from report_samples import make_audit_report, make_check_report

from compliance.findings import Report


@pytest.fixture
def check_report() -> Report:
    return make_check_report()


@pytest.fixture
def audit_report() -> Report:
    return make_audit_report()
