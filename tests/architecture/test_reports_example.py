"""Every planner query on the example province, with answers worked out by hand from the YAML files.

The reasoning is written beside each expectation so that a reader can check it against the data.
The reports are read with a planner's (read-only) token.
"""

from __future__ import annotations

from tests.architecture.conftest import AS_OF, Example, names

# Agencies by name (organization.yaml)
VP = "Văn phòng UBND tỉnh"
TTHCC = "Trung tâm Phục vụ hành chính công tỉnh"
KHCN = "Sở Khoa học và Công nghệ"
TTCDS = "Trung tâm Chuyển đổi số tỉnh"
SYT = "Sở Y tế"
STNMT = "Sở Tài nguyên và Môi trường"
SGDDT = "Sở Giáo dục và Đào tạo"
STC = "Sở Tài chính"
XLS = "UBND xã Lâm Sơn"
PTP = "UBND phường Thanh Phong"

# Systems by name (systems.yaml)
CTTDT = "Cổng thông tin điện tử tỉnh Sơn Lâm"
DVC = "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh (Cổng dịch vụ công)"
MCDT = "Phần mềm Một cửa điện tử"
QLVB = "Hệ thống quản lý văn bản và điều hành"
LGSP = "Nền tảng tích hợp, chia sẻ dữ liệu tỉnh (LGSP)"
MAIL = "Hệ thống thư điện tử công vụ tỉnh"
GBTT = "Hệ thống giao ban trực tuyến"
CSDL_DD = "Cơ sở dữ liệu đất đai tỉnh"
CSDL_GD = "Cơ sở dữ liệu ngành giáo dục"
SOC = "Hệ thống giám sát an toàn thông tin tỉnh (SOC)"
EAMS = "Hệ thống quản lý kiến trúc (EAMS)"
QLVB_SYT = "Phần mềm quản lý văn bản Sở Y tế"
HNTH_GD = "Hệ thống hội nghị truyền hình ngành giáo dục"
DD_PTP = "Phần mềm quản lý đất đai phường Thanh Phong"

ON_THE_CLUSTER = {CTTDT, DVC, MCDT, QLVB, LGSP, CSDL_DD, CSDL_GD, SOC, EAMS}
MAIL_USERS = {VP, KHCN, SYT, STNMT, SGDDT, STC}


# --- impact -----------------------------------------------------------------------------------


def test_mail_server_failure_costs_the_mail_system_and_its_six_user_agencies(
    example_readonly: Example,
) -> None:
    # dc-srv-mail-01 hosts MAIL alone (no group); nothing else depends on it.
    report = example_readonly.report("impact", node_type="device", node_name="dc-srv-mail-01")
    lost = report["tables"]["lost"]
    assert report["summary"] == {
        "systems": 1,
        "public_services": 0,
        "agencies": 6,
        "devices": 0,
        "degraded": 0,
    }
    assert names(lost, "information_system") == {MAIL}
    assert names(lost, "agency") == MAIL_USERS


def test_cluster_survives_two_of_four_hosts_down(example_readonly: Example) -> None:
    # Cụm ảo hóa TTDL: 4 hosts, min_up 2. With esx-01 and esx-02 down, 2 are up: nothing is lost,
    # and the nine systems on the cluster are reported degraded with up=2, min_up=2.
    report = example_readonly.client.get(
        "/api/v1/reports/impact", params=[("node_name", "dc-esx-01"), ("node_name", "dc-esx-02")]
    ).json()
    assert report["tables"]["lost"] == []
    degraded = report["tables"]["degraded"]
    assert names(degraded) == ON_THE_CLUSTER
    assert {(row["up"], row["min_up"]) for row in degraded} == {(2, 2)}


def test_third_host_down_takes_every_cluster_system_and_their_services_down(
    example_readonly: Example,
) -> None:
    # Up 1 < min_up 2: all nine systems fail. Public services: DVC serves TTHC-DD-01, TTHC-YT-01,
    # TTHC-GD-01; MCDT serves TTHC-HT-01; CSDL-DD serves TTHC-DD-01 again -> 4 services.
    # Agencies: the users of the nine systems (CTTDT's six, DVC adds TTHCC, XLS, PTP; SOC adds TTCDS).
    params = [("node_name", "dc-esx-01"), ("node_name", "dc-esx-02"), ("node_name", "dc-esx-03")]
    report = example_readonly.client.get("/api/v1/reports/impact", params=params).json()
    lost = report["tables"]["lost"]
    assert names(lost, "information_system") == ON_THE_CLUSTER
    assert names(lost, "public_service") == {
        "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
        "Cấp giấy phép hoạt động khám bệnh, chữa bệnh",
        "Đăng ký khai sinh",
        "Cấp bản sao văn bằng, chứng chỉ",
    }
    assert names(lost, "agency") == MAIL_USERS | {TTHCC, XLS, PTP, TTCDS}
    assert report["summary"]["devices"] == 0
    assert report["tables"]["degraded"] == []


def test_edge_router_is_a_single_point_for_both_firewalls_hence_public_services(
    example_readonly: Example,
) -> None:
    # dc-edge-rt-01 -> dc-fw-01 and dc-fw-02 (each single-homed) -> the firewall pair DVC needs is
    # gone -> DVC and its three public services; GBTT needs the router directly.
    report = example_readonly.report("impact", node_type="device", node_name="dc-edge-rt-01")
    lost = report["tables"]["lost"]
    assert names(lost, "device") == {"dc-fw-01", "dc-fw-02"}
    assert names(lost, "information_system") == {DVC, GBTT}
    assert report["summary"]["public_services"] == 3
    # DVC users (TTHCC, SYT, STNMT, SGDDT, STC, XLS, PTP) and GBTT users (VP, XLS, PTP).
    assert names(lost, "agency") == {TTHCC, SYT, STNMT, SGDDT, STC, XLS, PTP, VP}
    dvc = next(row for row in lost if row["name"] == DVC)
    assert dvc["depth"] == 2 and dvc["cause"] in {"dc-fw-01", "dc-fw-02"}


def test_access_switch_loses_hosts_but_groups_keep_most_systems_up(example_readonly: Example) -> None:
    # dc-acc-sw-01 feeds esx-01, esx-02, db-01 and mail-01. The cluster keeps 2 of 4 (degraded, 9
    # systems), the database pair keeps 1 of 2 (degraded: DVC, MCDT, QLVB, CSDL-DD); only MAIL is lost.
    report = example_readonly.report("impact", node_name="dc-acc-sw-01")
    lost = report["tables"]["lost"]
    assert names(lost, "device") == {"dc-esx-01", "dc-esx-02", "dc-srv-db-01", "dc-srv-mail-01"}
    assert names(lost, "information_system") == {MAIL}
    degraded = report["tables"]["degraded"]
    assert len(degraded) == 13
    assert {row["name"] for row in degraded if row["min_up"] == 1} == {DVC, MCDT, QLVB, CSDL_DD}


def test_everything_the_public_services_portal_depends_on(example_readonly: Example) -> None:
    # DVC needs: the 4 hosts, the 2 DB servers, the 2 edge firewalls, LGSP (depth 1); the 2 access
    # switches, the storage array, the edge router (depth 2); the 2 distribution switches (3); the 2
    # core switches (4); the 2 UPSes (5): 19 nodes. Alone-fatal: LGSP (no group), dc-stor-01 (every host
    # needs it) and dc-edge-rt-01 (both firewalls need it). Every other loss is covered by a group.
    dvc = example_readonly.id_of("information-systems", code="DVC")
    report = example_readonly.report("dependencies", node_type="information_system", node_id=dvc)
    needs = report["tables"]["needs"]
    assert report["summary"] == {"needed": 19, "single_points_of_failure": 3}
    assert {row["name"] for row in needs if row["single_point"]} == {LGSP, "dc-stor-01", "dc-edge-rt-01"}
    assert {row["name"] for row in needs if row["depth"] == 1} == {
        "dc-esx-01", "dc-esx-02", "dc-esx-03", "dc-esx-04", "dc-srv-db-01", "dc-srv-db-02",
        "dc-fw-01", "dc-fw-02", LGSP,
    }  # fmt: skip
    assert {row["name"] for row in needs if row["depth"] == 5} == {"dc-ups-01", "dc-ups-02"}


# --- duplicate investment -----------------------------------------------------------------------


def test_duplicates_are_systems_an_active_system_already_covers(example_readonly: Example) -> None:
    # QLVB-SYT shares ARM.02.01 with the province-wide QLVB; HNTH-GD shares ARM.03.02 with GBTT
    # (province-wide); DD-PTP shares ARM.04.01 with CSDL-DD, a sector system PTP already uses.
    # Not duplicates: MCDT/DVC (component of), TYT-XLS/YTCS (XLS does not use YTCS, and YTCS's owner is
    # not served by TYT-XLS), DD-HLS (retired).
    report = example_readonly.report("duplicates")
    pairs = {(row["system"], row["duplicate_of"]) for row in report["tables"]["duplicates"]}
    assert pairs == {(QLVB_SYT, QLVB), (HNTH_GD, GBTT), (DD_PTP, CSDL_DD)}
    # Only T3.2 is flagged: T3.3, which would create DD-PTP, is cancelled.
    assert [row["code"] for row in report["tables"]["tasks"]] == ["T3.2"]
    assert report["summary"] == {"systems_duplicating": 3, "pairs": 3, "flagged_tasks": 1}


def test_duplicates_on_technology_codes_only(example_readonly: Example) -> None:
    # TRM.03.01 is shared by QLVB (active, province) and QLVB-SYT (phase-out): one direction only.
    report = example_readonly.report("duplicates", models="TRM")
    rows = report["tables"]["duplicates"]
    assert [(row["system"], row["duplicate_of"], row["shared_codes"]) for row in rows] == [
        (QLVB_SYT, QLVB, "TRM.03.01")
    ]


# --- lifecycle ----------------------------------------------------------------------------------


def test_lifecycle_as_of_mid_2026_with_a_90_day_window(example_readonly: Example) -> None:
    # Window: 2026-07-01 .. 2026-09-29. TTCDS expired: warranty of dc-edge-rt-01, dc-fw-dmz-01,
    # dc-esx-01, dc-esx-02, dc-srv-mail-01, dc-ups-01, dc-srv-spare-01 and the ESXi support contract
    # (2026-06-30) = 8; due: warranty of dc-dist-sw-01/02 (08-15), dc-srv-db-01/02 (09-15), end of
    # support of the PA-3220 (09-01), the vSphere licence (08-31) = 6. Sở Y tế: syt-sw-01 warranty and
    # end of support, syt-srv-01 warranty (expired 3); the anti-malware licence ending on the day (due).
    # TTHCC: the one-stop-shop support contract; xã Lâm Sơn: its 2960X's end of support.
    # Left out: hls-sw-old-01 (retired), purchase contracts, syt-fw-01 (2026-10-31).
    report = example_readonly.report("lifecycle", as_of=AS_OF, within_days=90)
    by_agency = {row["agency"]: (row["expired"], row["due"]) for row in report["tables"]["by_agency"]}
    assert by_agency == {TTCDS: (8, 6), SYT: (3, 1), TTHCC: (1, 0), XLS: (1, 0)}
    assert report["summary"] == {"expired": 13, "due": 7}
    items = report["tables"]["items"]
    dist = next(row for row in items if row["name"] == "dc-dist-sw-01")
    assert (dist["milestone"], dist["date"], dist["days_left"], dist["state"]) == (
        "warranty", "2026-08-15", 45, "due"
    )  # fmt: skip
    licence = next(row for row in items if row["kind"] == "contract" and row["agency"] == SYT)
    assert (licence["days_left"], licence["state"]) == (0, "due")
    assert "hls-sw-old-01" not in {row["name"] for row in items}


def test_one_more_day_of_window_brings_in_the_health_lease(example_readonly: Example) -> None:
    # The YTCS lease ends 2026-09-30, the 91st day.
    report = example_readonly.report("lifecycle", as_of=AS_OF, within_days=91)
    assert report["summary"] == {"expired": 13, "due": 8}
    assert "Thuê phần mềm Hệ thống thông tin y tế cơ sở" in {row["name"] for row in report["tables"]["items"]}


# --- security -----------------------------------------------------------------------------------


def test_security_levels_by_state_and_the_component_rule(example_readonly: Example) -> None:
    # 17 systems, DD-HLS retired -> 16. Approved: CTTDT, DVC, LGSP, YTCS, SOC, TYT-XLS (6). QLVB needs
    # re-determination. No dossier: GBTT, CSDL-GD, QLVB-SYT, HNTH-GD, DD-PTP (5).
    report = example_readonly.report("security")
    assert report["summary"] == {
        "systems": 16,
        "approved": 6,
        "not_approved": 10,
        "redetermination_needed": 1,
        "without_record": 5,
    }
    rows = {row["system"]: row for row in report["tables"]["systems"]}
    # MCDT (level 4, appraising) is a component of DVC (approved at 3): DVC's level is 4.
    assert (rows[DVC]["level"], rows[DVC]["effective_level"]) == (3, 4)
    assert rows[DVC]["attention"] == "component above approved level"
    assert (rows[MCDT]["effective_level"], rows[MCDT]["attention"]) == (4, "not approved")
    assert rows[QLVB]["attention"] == "re-determine"
    assert rows[GBTT]["state"] == "none"
    by_level = {
        (r["agency"], r["effective_level"], r["state"]): r["systems"]
        for r in report["tables"]["by_agency_level"]
    }
    assert by_level[(KHCN, 2, "draft")] == 2  # MAIL and EAMS
    assert by_level[(VP, 4, "approved")] == 1  # DVC, through its component


# --- roadmap ------------------------------------------------------------------------------------


def test_roadmap_progress_budget_and_late_tasks(example_readonly: Example) -> None:
    # 11 tasks, T3.3 cancelled -> 10. Done: T1.1, T1.3, T2.4. Late on 2026-07-01: T1.2 (deadline
    # 2025-12-31, 182 days) and T2.1 (2026-06-30, 1 day). Progress: (100+80+100+60+40+30+100)/10 = 51.0.
    # Estimated 3+5+0.8+20+8+2+1.5+4+2.5+10 = 56.8 bn; approved 36.4 bn; disbursed 19.6 bn (53.8 %).
    report = example_readonly.report("roadmap", as_of=AS_OF)
    assert report["summary"] == {
        "tasks": 10,
        "done": 3,
        "late": 2,
        "progress_pct": 51.0,
        "estimated_vnd": 56_800_000_000,
        "approved_vnd": 36_400_000_000,
        "disbursed_vnd": 19_600_000_000,
        "disbursed_pct": 53.8,
    }
    phases = [(r["phase"][:11], r["tasks"], r["progress_pct"], r["approved_vnd"], r["disbursed_pct"])
              for r in report["tables"]["phases"]]  # fmt: skip
    assert phases == [
        ("Giai đoạn 1", 3, 93.3, 8_100_000_000, 81.5),
        ("Giai đoạn 2", 4, 57.5, 28_300_000_000, 45.9),
        ("Giai đoạn 3", 3, 0.0, 0, 0.0),
    ]
    funding = {
        r["funding_source"]: (r["tasks"], r["estimated_vnd"], r["disbursed_pct"])
        for r in report["tables"]["funding"]
    }
    assert funding == {
        "central": (1, 5_000_000_000, 66.7),
        "provincial": (5, 16_300_000_000, 49.2),
        "oda": (2, 30_000_000_000, 50.0),
        "service_lease": (2, 5_500_000_000, 100.0),
    }
    khcn = next(r for r in report["tables"]["agencies"] if r["lead_agency"] == KHCN)
    assert (khcn["tasks"], khcn["late"], khcn["progress_pct"], khcn["approved_vnd"]) == (
        7,
        2,
        44.3,
        32_100_000_000,
    )
    late = [(r["code"], r["days_late"]) for r in report["tables"]["late"]]
    assert late == [("T1.2", 182), ("T2.1", 1)]


# --- portfolio ----------------------------------------------------------------------------------


def test_portfolio_rolls_counts_up_the_agency_tree(example_readonly: Example) -> None:
    # Devices: TTCDS owns the 28 data-center and DR devices, Sở Y tế 3, xã Lâm Sơn 1, huyện Lâm Sơn 1
    # (retired) = 33. Systems: VP 5, KHCN 4, SYT 2, SGDDT 2, STNMT, HLS, PTP, XLS 1 each = 17.
    # TTCDS sits under KHCN, which sits under the province.
    report = example_readonly.report("portfolio")
    assert report["summary"] == {"devices": 33, "systems": 17}
    rows = {r["agency"]: r for r in report["tables"]["agencies"]}
    province = rows["Ủy ban nhân dân tỉnh Sơn Lâm"]
    assert (province["devices"], province["devices_total"], province["systems_total"]) == (0, 33, 17)
    assert (rows[KHCN]["devices"], rows[KHCN]["systems"], rows[KHCN]["devices_total"]) == (0, 4, 28)
    assert (rows[TTCDS]["devices"], rows[TTCDS]["devices_total"]) == (28, 28)
    assert (rows[VP]["systems"], rows[VP]["systems_total"]) == (5, 5)
    district = rows["UBND huyện Lâm Sơn"]
    assert (district["devices_total"], district["systems_total"], district["valid_to"]) == (
        1,
        1,
        "2025-06-30",
    )
    devices = {
        (r["agency"], r["role"], r["status"], r["site"]): r["count"] for r in report["tables"]["devices"]
    }
    assert devices[(TTCDS, "hypervisor", "active", "Trung tâm dữ liệu tỉnh Sơn Lâm")] == 4
    assert devices[(TTCDS, "hypervisor", "active", "Trung tâm dự phòng thảm họa (DR)")] == 2
    assert devices[(TTCDS, "server", "active", "Trung tâm dữ liệu tỉnh Sơn Lâm")] == 3
    assert devices[(XLS, "switch", "active", "(none)")] == 1
