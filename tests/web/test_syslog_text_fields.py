"""The syslog page reads each format's own sentence fields from the running intake, the one
source of its formats; an instance without an intake reads the format files."""

from __future__ import annotations

from collectors.syslog.component import SyslogComponent
from collectors.syslog.config import SyslogConfig
from collectors.syslog.formats import load_formats
from eams.components.syslog import EXTRAS_KEY
from eams.services import Services
from eams.web.syslog import running_text_fields, text_fields_from_files


def test_the_page_takes_the_sentence_fields_of_the_running_intake(services: Services) -> None:
    shipped = text_fields_from_files(None)
    assert running_text_fields(services) == shipped  # no intake here: the files
    assert shipped["fortigate"] and shipped["cef"]

    only_cef = [f for f in load_formats() if f.name == "cef"]
    services.extras[EXTRAS_KEY] = SyslogComponent(SyslogConfig(), services.pipeline, formats=only_cef)
    try:
        assert running_text_fields(services) == {"cef": shipped["cef"]}
    finally:
        del services.extras[EXTRAS_KEY]
