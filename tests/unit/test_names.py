import pytest

from models.accounts import IdType
from services.accounts.names import mask_id_number, mask_name, mask_phone, name_error, normalize_name


def err(raw, id_type=IdType.MAINLAND):
    return name_error(normalize_name(raw, id_type), id_type)


@pytest.mark.parametrize("name", ["张三", "欧阳锋", "买买提·艾力", "䶮", "李䶮", "阿依古丽·买买提"])
def test_chinese_names_are_accepted(name):
    assert err(name) is None


def test_middle_dot_lookalikes_become_the_middle_dot():
    assert normalize_name("买买提•艾力", IdType.MAINLAND) == "买买提·艾力"


@pytest.mark.parametrize("name,fragment", [
    ("张" * 51, "50"),
    ("张3", "数字"),
    ("<script>", "符号"),
    ("张\u200b三", "不可见"),
    ("张三😀", "😀"),
    ("·张三", "·"),
    ("张··三", "·"),
    ("John", "John"[0]),
])
def test_bad_chinese_names_are_refused_with_a_reason(name, fragment):
    message = err(name)
    assert message is not None and fragment in message


def test_unrenderable_han_character_is_refused():
    # U+30000 (CJK Extension G) is a Han character that the shipped fonts do not draw.
    message = err("张\U00030000")
    assert message is not None and "无法显示" in message


@pytest.mark.parametrize("name", ["JOHN SMITH", "Mary-Jane O'Neil", "J. R. Smith"])
def test_passport_names(name):
    assert err(name, IdType.PASSPORT) is None


@pytest.mark.parametrize("name", ["张三", "John2", "<b>x</b>", "Ann\u200b"])
def test_bad_passport_names(name):
    assert err(name, IdType.PASSPORT) is not None


@pytest.mark.parametrize("name,masked", [("张", "张"), ("张三", "张*"), ("张三丰", "张*丰"), ("欧阳锋锋", "欧**锋"),
                                         ("JOHN SMITH", "J*** S****")])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_id_and_phone():
    assert mask_id_number("110105194912310021") == "110***********0021"
    assert mask_phone("13800138000") == "138****8000"


def test_every_character_of_the_picker_is_accepted_in_a_name():
    from services.reference import rarechars

    offered = [rc.char for rc in rarechars._data().chars]
    assert len(offered) > 20000
    refused = [ch for ch in offered if err("李" + ch) is not None]
    assert refused == []
