"""Closed vocabularies of the inventory, shared by models, API schemas and CSV import."""

from __future__ import annotations

from enum import StrEnum


class AgencyKind(StrEnum):
    province = "province"
    department = "department"  # sở, ban, ngành
    board = "board"
    district = "district"  # cấp huyện: historical since 1 July 2025
    commune = "commune"
    unit = "unit"  # đơn vị sự nghiệp, trung tâm ...


class SiteKind(StrEnum):
    data_center = "data_center"
    dr_site = "dr_site"
    server_room = "server_room"
    colocation = "colocation"


class DeviceRole(StrEnum):
    server = "server"
    switch = "switch"
    router = "router"
    firewall = "firewall"
    ips = "ips"
    waf = "waf"
    vpn = "vpn"
    load_balancer = "load_balancer"
    storage = "storage"
    ups = "ups"
    hypervisor = "hypervisor"
    wireless_controller = "wireless_controller"
    pdu = "pdu"
    other = "other"


class LifecycleStatus(StrEnum):
    planned = "planned"
    active = "active"
    maintenance = "maintenance"
    spare = "spare"
    retired = "retired"


class CredentialKind(StrEnum):
    snmp_v1 = "snmp_v1"
    snmp_v2c = "snmp_v2c"
    snmp_v3 = "snmp_v3"
    ssh = "ssh"


class SnmpAuthProtocol(StrEnum):
    md5 = "MD5"
    sha = "SHA"
    sha224 = "SHA224"
    sha256 = "SHA256"
    sha384 = "SHA384"
    sha512 = "SHA512"


class SnmpPrivProtocol(StrEnum):
    des = "DES"
    aes128 = "AES"
    aes192 = "AES192"
    aes256 = "AES256"


class Role(StrEnum):
    """API roles. `planner` is read-only; `collector` is for remote collector processes."""

    admin = "admin"
    operator = "operator"
    security = "security"
    planner = "planner"
    collector = "collector"
