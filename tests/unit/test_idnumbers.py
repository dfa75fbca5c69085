from datetime import date

import pytest

from models.accounts import IdType
from services.accounts.idnumbers import check, check_digit

TODAY = date(2026, 11, 29)


def with_check(first17):
    return first17 + check_digit(first17)


def test_gb11643_check_digit_known_examples():
    # Published example numbers: 11010519491231002X and 440524188001010014.
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"


def test_valid_mainland_number_derives_birth_date_and_gender():
    r = check(IdType.MAINLAND, "11010519491231002x", TODAY)
    assert r.error is None and r.number == "11010519491231002X"
    assert r.birth_date == date(1949, 12, 31) and r.gender == "女"
    male = check(IdType.MAINLAND, with_check("32010219900307121"), TODAY)
    assert male.error is None and male.gender == "男"


def test_wrong_check_digit_is_refused():
    assert "校验位" in check(IdType.MAINLAND, "110105194912310021", TODAY).error


@pytest.mark.parametrize("number", ["11010519491231002", "1101051949123100211"])
def test_17_or_19_characters_are_refused(number):
    assert "18位" in check(IdType.MAINLAND, number, TODAY).error


@pytest.mark.parametrize("birth", ["18991231", "20270101"])
def test_birth_date_of_1899_or_next_year_is_refused(birth):
    assert "出生日期" in check(IdType.MAINLAND, with_check("110105" + birth + "123"), TODAY).error


def test_birth_date_that_does_not_exist_is_refused():
    assert "不存在" in check(IdType.MAINLAND, with_check("11010519990230123"), TODAY).error


def test_province_code_00_is_refused():
    assert "地区码" in check(IdType.MAINLAND, with_check("00010519900307123"), TODAY).error


@pytest.mark.parametrize("number", ["H12345678", "M87654321", "H1234567801"])
def test_hk_macao_pass_forms(number):
    assert check(IdType.HK_MACAO, number, TODAY).error is None


@pytest.mark.parametrize("number", ["12345678", "X12345678", "H1234567", "H123456789"])
def test_hk_macao_pass_refuses_taiwan_numbers_and_bad_forms(number):
    err = check(IdType.HK_MACAO, number, TODAY).error
    assert "H或M开头" in err


def test_taiwan_pass_is_8_digits():
    assert check(IdType.TAIWAN, "12345678", TODAY).error is None
    assert "8位数字" in check(IdType.TAIWAN, "H12345678", TODAY).error


@pytest.mark.parametrize("number,ok", [("E1234", True), ("AB12345678901234567Z", True), ("E123", False),
                                       ("A" * 21, False), ("E12-3456", False)])
def test_passport_is_5_to_20_letters_and_digits(number, ok):
    assert (check(IdType.PASSPORT, number, TODAY).error is None) is ok


def test_full_width_digits_are_the_same_number_and_other_scripts_digits_are_refused():
    """Issue 11 review: \\d took any script's digits, so one number could be registered again spelt otherwise."""
    from services.accounts.idnumbers import normalize
    from services.accounts.sms import phone_error

    number = with_check("11010519900307123")
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert normalize(full_width) == number
    arabic_indic = number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert check(IdType.MAINLAND, normalize(arabic_indic), date(2026, 1, 1)).error
    assert check(IdType.TAIWAN, "١٢٣٤٥٦٧٨", date(2026, 1, 1)).error
    assert phone_error("١٣٨٠٠١٣٨٠٠٠") and phone_error("１３８００１３８０００") and not phone_error("13800138000")
