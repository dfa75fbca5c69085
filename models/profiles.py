"""实名认证 requests and the 信息采集 record (the candidate's personal record)."""
from tortoise import fields
from tortoise.models import Model


class RealnameRequest(Model):
    """线上实名认证: three ID images waiting for a reviewer. Alipay verification needs no row here."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="realname_requests", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=16, default="pending", db_index=True)  # pending / approved / rejected
    # At most one pending request per account: the account id while pending, NULL once decided (a unique column
    # that allows many NULLs, as Order.open_key).
    pending_key = fields.IntField(null=True, unique=True)
    province_code = fields.CharField(max_length=8)
    city_code = fields.CharField(max_length=8)
    front = fields.CharField(max_length=80)  # 证件人像面 (stored upload name)
    back = fields.CharField(max_length=80)  # 证件非人像面
    handheld = fields.CharField(max_length=80)  # 手持证件人像面
    reason = fields.CharField(max_length=200, null=True)  # the reviewer's reason when rejected
    decided_by = fields.CharField(max_length=64, null=True)
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "realname_request"
        indexes = (("account_id",),)


class AlipayAttempt(Model):
    """支付宝实名认证 started by this account: the provider's certify id, polled until it passes."""

    certify_id = fields.CharField(max_length=64, primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="alipay_attempts", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "alipay_attempt"


class Profile(Model):
    """信息采集: one record per account, saved section by section so nothing typed is lost."""

    account = fields.OneToOneField("models.Account", related_name="profile", on_delete=fields.CASCADE,
                                   primary_key=True)
    # 基本信息
    photo = fields.CharField(max_length=80, null=True)  # 证件照 (stored upload name)
    ethnicity = fields.CharField(max_length=16, null=True)  # 民族
    political_status = fields.CharField(max_length=16, null=True)  # 政治面貌
    address = fields.CharField(max_length=100, null=True)  # 通讯地址
    postcode = fields.CharField(max_length=6, null=True)  # 邮政编码
    email = fields.CharField(max_length=100, null=True)  # 电子邮箱
    # 性别 and 出生日期 come from a mainland ID number; for the other document types they are entered here.
    gender = fields.CharField(max_length=2, null=True)
    birth_date = fields.DateField(null=True)
    basic_saved = fields.BooleanField(default=False)
    # 学位信息
    degree = fields.CharField(max_length=8, null=True)  # 无 / 学士 / 双学士 / 硕士 / 博士
    degree_org = fields.CharField(max_length=60, null=True)  # 授予单位
    degree_date = fields.DateField(null=True)  # 授予时间
    # 工作信息 (a person may have no employer)
    no_employer = fields.BooleanField(default=False)
    employer = fields.CharField(max_length=100, null=True)  # 工作单位
    employer_province = fields.CharField(max_length=8, null=True)  # 单位所在省市
    employer_city = fields.CharField(max_length=8, null=True)
    accounting_start = fields.DateField(null=True)  # 从事会计工作开始时间
    position = fields.CharField(max_length=30, null=True)  # 职务
    work_saved = fields.BooleanField(default=False)
    confirmed_at = fields.DatetimeField(null=True)  # the confirmation section commits the record
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "profile"


class Education(Model):
    """学历信息: more than one entry allowed."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="educations", on_delete=fields.CASCADE)
    level = fields.CharField(max_length=16)  # 最高学历 options, services.reference.EDUCATION_LEVELS
    school = fields.CharField(max_length=60)  # 毕业院校
    major = fields.CharField(max_length=60)  # 所学专业
    graduated_on = fields.DateField()  # 毕业时间
    certificate_no = fields.CharField(max_length=40)  # 学历证书编号
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "education"
        indexes = (("account_id",),)
