"""Tests of the HJ 212-2017 code tables against shared/docs/standards.md §8.1 and §8.3.

The tables are transcribed here from standards.md (which quotes HJ 212-2017 表3, 表5–表9
and 附录B 表B.1/B.2 of source S5), independently of the data file, so that a
transcription error in ``forecasting/standards/data/cn_mee_hj212_2017.toml`` fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.standards.hj212_codes import (
    HJ212_2017,
    Hj212Error,
    factor_variables,
    read_hj212,
)
from forecasting.standards.tables import read_standard

STD = read_hj212()

# HJ 212-2017 表5, system codes ST (standards.md §8.3). 33–38 are "other pollution sources".
SYSTEM_CODES = {
    "21": "地表水质量监测",
    "22": "空气质量监测",
    "23": "声环境质量",
    "24": "地下水",
    "25": "土壤",
    "26": "海水",
    "27": "挥发性有机物",
    "31": "大气环境污染源",
    "32": "地表水体环境污染源",
    "39": "工地扬尘",
    "41": "电磁",
    "51": "烟气排放过程",
    "52": "污水排放过程",
    "91": "系统交互",
}
# HJ 212-2017 表9, command codes CN (standards.md §8.3), including the ranges 3011–3021.
COMMAND_CODES = [
    "1000",
    "1011",
    "1012",
    "1013",
    "1061",
    "1062",
    "1063",
    "1064",
    "1072",
    "2011",
    "2012",
    "2021",
    "2022",
    "2031",
    "2041",
    "2051",
    "2061",
    "2081",
    "3011",
    "3012",
    "3013",
    "3014",
    "3015",
    "3016",
    "3017",
    "3018",
    "3019",
    "3020",
    "3021",
    "9011",
    "9012",
    "9013",
    "9014",
]
# | 9011 | 请求应答 | 9012 | 执行结果 | 9013 | 通知应答 | 9014 | 数据应答 |
INTERACTION = {"9011": "请求应答", "9012": "执行结果", "9013": "通知应答", "9014": "数据应答"}
# HJ 212-2017 表8, data flags xxxxxx-Flag.
DATA_FLAGS = {
    "N": "在线监控（监测）仪器仪表工作正常",
    "F": "停运",
    "M": "维护期间产生的数据",
    "S": "手工输入的设定值",
    "D": "故障",
    "C": "校准状态",
    "T": "采样数值超过测量上限",
    "B": "与数采仪通讯异常",
}
# HJ 212-2017 表6, ExeRtn.
EXE_RTN = {
    1: "成功",
    2: "失败，原因不明",
    3: "命令请求条件错误",
    4: "通讯超时",
    5: "系统繁忙",
    6: "系统故障",
    100: "没有数据",
}
# HJ 212-2017 表7, QnRtn.
QN_RTN = {
    1: "准备执行",
    2: "请求被拒绝",
    3: "PW 错",
    4: "MN 错",
    5: "ST 错",
    6: "Flag 错",
    7: "QN 错",
    8: "CN 错",
    9: "CRC 校验错误",
    100: "未知错误",
}
# HJ 212-2017 表3 field lengths, "Lengths include name=":
# | QN | 20 | ST | 5 | CN | 7 | PW | 9 | MN | 27 | Flag | 8 | PNUM | 9 | PNO | 8 |
FIELD_LENGTHS = {"QN": 20, "ST": 5, "CN": 7, "PW": 9, "MN": 27, "Flag": 8, "PNUM": 9, "PNO": 8}
# HJ 212-2017 附录B (standards.md §8.3): | code | name | default unit in S5 | data type |,
# and the ecocast variable each maps to (README glossary).
FACTORS = [
    ("a34004", "细微颗粒物 PM2.5", "纳克/立方米", "N3.3", "pm25"),
    ("a34002", "可吸入颗粒物 PM10", "纳克/立方米", "N3.3", "pm10"),
    ("a21026", "二氧化硫", "毫克/立方米", "N5.2", "so2"),
    ("a21004", "二氧化氮", "毫克/立方米", "N4.1", "no2"),
    ("a21005", "一氧化碳", "毫克/立方米", "N3.3", "co"),
    ("w01009", "溶解氧", "毫克/升", "N3.1", "do"),
    ("w01019", "高锰酸盐指数", "毫克/升", "N3.1", "codmn"),
    ("w21003", "氨氮", "毫克/升", "N4.2", "nh3n"),
    ("w21011", "总磷", "毫克/升", "N3.2", "tp"),
    ("w21001", "总氮", "毫克/升", "N4.2", "tn"),
    ("w01001", "pH 值", "无量纲", "N2.2", "ph"),
    ("w01010", "水温", "摄氏度", "N3.1", "temp_water"),
]
# "(others seen) a01001 温度, a01002 湿度, a01006 气压 (kPa), a01007 风速, a01008 风向,
#  a34001 TSP, w01018 COD, w01014 电导率, w02003 粪大肠菌群 (个/升)"
OTHERS_SEEN = [
    ("a01001", "temp_air"),
    ("a01002", "rh"),
    ("a01006", "pressure"),
    ("a01007", "wind_speed"),
    ("a01008", "wind_dir"),
    ("a34001", "tsp"),
    ("w01018", "cod"),
    ("w01014", "cond"),
    ("w02003", "fecal_coliform"),
]


def test_citation_is_primary_hj212_2017() -> None:
    citation, _ = read_standard(HJ212_2017)
    assert STD.source == citation
    assert (citation.id, citation.document, citation.status) == (
        "cn_mee_hj212_2017",
        "HJ 212-2017",
        "primary",
    )
    assert "1C08" in citation.notes  # the CRC erratum is recorded


@pytest.mark.parametrize(("code", "name"), SYSTEM_CODES.items())
def test_system_codes_table5(code: str, name: str) -> None:
    assert STD.describe("ST", code) == name


def test_system_codes_other_sources_33_to_38_present() -> None:
    assert {f"{n}" for n in range(33, 39)} <= set(STD.system_codes)
    assert set(STD.system_codes) == set(SYSTEM_CODES) | {str(n) for n in range(33, 39)}


def test_command_codes_table9() -> None:
    assert list(STD.command_codes) == COMMAND_CODES
    for code, meaning in INTERACTION.items():
        assert STD.describe("CN", code) == meaning


@pytest.mark.parametrize(("flag", "meaning"), DATA_FLAGS.items())
def test_data_flags_table8(flag: str, meaning: str) -> None:
    assert STD.describe("Flag", flag) == meaning


def test_data_flags_table8_complete() -> None:
    assert list(STD.data_flags) == list(DATA_FLAGS)


@pytest.mark.parametrize(("code", "meaning"), EXE_RTN.items())
def test_exe_rtn_table6(code: int, meaning: str) -> None:
    assert STD.describe("ExeRtn", code) == meaning


@pytest.mark.parametrize(("code", "meaning"), QN_RTN.items())
def test_qn_rtn_table7(code: int, meaning: str) -> None:
    assert STD.describe("QnRtn", code) == meaning


def test_qn_rtn_codes_by_field_follow_their_meaning() -> None:
    # 表7: 3 PW 错, 4 MN 错, 5 ST 错, 6 Flag 错, 7 QN 错, 8 CN 错, 9 CRC 校验错误
    assert dict(STD.qn_rtn_by_field) == {
        "PW": 3,
        "MN": 4,
        "ST": 5,
        "Flag": 6,
        "QN": 7,
        "CN": 8,
        "CRC": 9,
    }
    assert (STD.rejected_qn_rtn, STD.bad_data_area_exe_rtn) == (2, 3)


def test_field_lengths_table3() -> None:
    assert {k: v for k, v in STD.field_lengths.items() if k != "CP"} == FIELD_LENGTHS
    # 表2/表3: data segment 0–1024, CP 0–950, length 4 decimal digits, CRC 4 hex digits.
    assert (STD.data_segment_max_length, STD.cp_max_length) == (1024, 950)
    assert (STD.length_digits, STD.crc_hex_digits, STD.header, STD.trailer) == (4, 4, "##", "\r\n")


def test_flag_layout_table3() -> None:
    # 表3: "integer 0–255, bits V5 V4 V3 V2 V1 V0 D A"; 000000 = HJ/T 212-2005, 000001 = 2017.
    assert STD.flag_bits == ("V5", "V4", "V3", "V2", "V1", "V0", "D", "A")
    assert (STD.version_shift, STD.version_width, STD.split_mask, STD.ack_mask) == (2, 6, 2, 1)
    assert dict(STD.protocol_versions) == {0: "HJ/T 212-2005", 1: "HJ 212-2017"}
    assert STD.current_version == 1


def test_data_area_settings_table4() -> None:
    # 表4: RtdInterval 30–3600 s; MinInterval 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 min;
    # DataTime N14.
    assert STD.rtd_interval_seconds == (30, 3600)
    assert STD.min_interval_minutes == (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)
    assert STD.time_format_digits == 14


def test_datatime_semantics_per_command() -> None:
    # 表4, C.16–C.18: DataTime is the interval start for 2051, 2061, 2031; the instant for 2011.
    commands = STD.data_commands
    assert commands["2011"].data_time == "instant"
    assert {cn: commands[cn].data_time for cn in ("2051", "2061", "2031")} == dict.fromkeys(
        ("2051", "2061", "2031"), "interval_start"
    )
    assert (commands["2061"].interval, commands["2031"].interval) == ("1h", "1D")
    assert commands["2051"].interval == ""  # MinInterval is configured per partner


@pytest.mark.parametrize(("code", "name_zh", "unit", "dtype", "variable"), FACTORS)
def test_factor_codes_appendix_b(
    code: str, name_zh: str, unit: str, dtype: str, variable: str
) -> None:
    factor = STD.factors[code]
    assert (factor.name_zh, factor.s5_default_unit, factor.s5_data_type) == (name_zh, unit, dtype)
    assert factor.variable == variable
    assert factor.status == "primary"
    assert STD.variable_code(variable) == code


@pytest.mark.parametrize(("code", "variable"), OTHERS_SEEN)
def test_factor_codes_others_seen_are_secondary(code: str, variable: str) -> None:
    assert (STD.factors[code].variable, STD.factors[code].status) == (variable, "secondary")


def test_o3_a05024_is_unverified_configuration() -> None:
    # standards.md §8.3: "a05024 | 臭氧 | not listed in S5 表B.2"; O3 = a05024 by convention.
    factor = STD.factors["a05024"]
    assert (factor.variable, factor.status, factor.s5_default_unit) == ("o3", "unverified", "")


def test_pm_default_units_are_ng_and_flagged_untrusted() -> None:
    # standards.md §8.3: "S5 lists PM default units as ng/m³ … Never infer units from 附录B".
    assert STD.factors["a34004"].s5_default_unit == "纳克/立方米"
    assert "NOT" in STD.factor_units_warning
    assert "ng/m3" in STD.factor_units_warning


def test_factor_variables_vectorised_unknown_kept() -> None:
    codes = np.array(["a34004", "LA", "w01009", "a34004", "01018"], dtype=object)
    variables, known = factor_variables(codes)
    assert variables.tolist() == ["pm25", "LA", "do", "pm25", "01018"]
    assert known.tolist() == [True, False, True, True, False]


def test_factor_variables_empty() -> None:
    variables, known = factor_variables([])
    assert (variables.shape, known.shape) == ((0,), (0,))


def test_describe_unknown_code_lists_options() -> None:
    with pytest.raises(UnknownStandardError, match=r"unknown HJ 212 ST code '99'.*21, 22"):
        STD.describe("ST", "99")
    with pytest.raises(UnknownStandardError, match=r"unknown HJ 212 code table 'XX'"):
        STD.describe("XX", 1)


def test_variable_code_unknown_lists_variables() -> None:
    with pytest.raises(UnknownStandardError, match=r"'pm1'.*pm10, pm25"):
        STD.variable_code("pm1")


def test_read_hj212_unknown_id() -> None:
    with pytest.raises(UnknownStandardError, match="cn_mee_hj212_2017"):
        read_hj212("cn_mee_hj212_2005")


def test_read_hj212_is_cached_and_immutable() -> None:
    assert read_hj212() is STD
    with pytest.raises(TypeError):
        STD.data_flags["X"] = "new"  # type: ignore[index]


def test_hj212_error_is_input_data_error_with_codes() -> None:
    error = Hj212Error("bad", field="CRC", qn_rtn=9, position=107)
    assert (error.field, error.qn_rtn, error.exe_rtn, error.position) == ("CRC", 9, None, 107)
    assert isinstance(error, InputDataError)
    assert str(error) == "bad"
