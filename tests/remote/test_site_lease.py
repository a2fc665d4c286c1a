"""The collector's reading of its site lease (collectors.remote.lease): when it may poll."""

from __future__ import annotations

from collectors.remote.lease import SHARE, SiteLease


def answer(role: str, standbys: int = 0, lease_s: float = 60.0) -> dict[str, object]:
    return {"role": role, "standbys": standbys, "site_lease_s": lease_s}


def test_a_collector_started_while_the_service_is_down_polls_what_it_has() -> None:
    lease = SiteLease()
    assert lease.may_poll and lease.deadline() is None and not lease.check(1e9)


def test_with_no_one_standing_by_an_unrenewed_lease_never_stops_the_polls() -> None:
    lease = SiteLease()
    assert lease.answered(answer("active"), sent_at=100.0)
    assert not lease.check(100.0 + 3600) and lease.may_poll


def test_with_a_standby_the_polls_stop_before_the_standby_may_take_over() -> None:
    lease = SiteLease()
    lease.answered(answer("active", standbys=1, lease_s=60), sent_at=100.0)
    assert lease.deadline() == 100.0 + SHARE * 60 < 100.0 + 60  # the service replaces it at +60
    assert not lease.check(100.0 + SHARE * 60 - 0.1) and lease.may_poll
    assert lease.check(100.0 + SHARE * 60) and not lease.may_poll
    assert not lease.check(200.0)  # said once
    # The service answers again: polling resumes (a role change for the caller to act on).
    assert lease.answered(answer("active", standbys=1), sent_at=210.0) and lease.may_poll


def test_standing_by_polls_nothing_and_taking_over_is_a_change() -> None:
    lease = SiteLease()
    assert lease.answered(answer("standby"), sent_at=1.0) and not lease.may_poll
    assert not lease.answered(answer("standby"), sent_at=2.0)  # nothing new
    assert lease.answered(answer("active"), sent_at=3.0) and lease.may_poll


def test_a_site_taken_over_meanwhile_stops_the_polls() -> None:
    lease = SiteLease()
    lease.answered(answer("active"), sent_at=1.0)
    assert lease.stand_down() and not lease.may_poll
    assert not lease.stand_down()  # said once
