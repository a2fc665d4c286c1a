"""bench/web runs end to end on a small province (its figures are for `./dev bench web`)."""

from __future__ import annotations

import pytest

from bench.web.__main__ import main


@pytest.mark.slow
def test_the_web_benchmark_times_every_page_beside_its_api_call(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--devices", "1000", "--systems", "8", "--requests", "2", "--refreshes", "3"])
    out = capsys.readouterr().out
    for label in (
        "overview refresh",
        "devices list",
        "device page + its graphs (24 h)",
        "impact of a core switch",
    ):
        assert label in out
    assert "% of a core" in out and "page/API" in out


def test_the_web_benchmark_refuses_nonsense_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--devices", "10"])
    assert exit_info.value.code == 2 and "--devices" in capsys.readouterr().err
