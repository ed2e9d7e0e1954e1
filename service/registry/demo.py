"""The Laocheng demo district (``changxiao seed --demo``): the plan's exact shape.

老城政办〔2021〕7号 names 20 areas, 126 communities and 16,219 households; 11 areas
(8,386 households) renovated in 2021 and 9 areas (7,833) in 2022 (DOMAIN.md "Scale").
The rows are built by a pure, seeded function (the same seed gives the same district),
then bulk-inserted in one transaction: nothing is half-seeded if anything fails.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from piccolo.table import Table
from piccolo.utils.encoding import dump_json

from service.audit.service import record
from service.auth.bootstrap import DEFAULT_BUREAU, DEFAULT_DISTRICT
from service.auth.passwords import hash_password
from service.auth.tables import Account
from service.clock import now
from service.config import get_settings
from service.contracts.tables import Contract
from service.db import fetch, is_postgres, transaction
from service.errors import Conflict
from service.funds.tables import FirstDepositPromise
from service.registry.rules import id_digest, mask_id_no, resident_check_digit
from service.registry.tables import (
    Area,
    Building,
    Community,
    District,
    Household,
    Organization,
    Owner,
    Ownership,
    StreetArea,
)
from service.warranty.rules import warranty_last_day, warranty_until
from service.warranty.tables import Work, WorkComponent
from service.warranty.workdays import national_calendar

DEMO_SEED = 2021
# Renovation year → (areas, households), from the plan.
SHAPE = {2021: (11, 8386), 2022: (9, 7833)}
COMMUNITIES_BY_YEAR = {2021: 65, 2022: 61}
MULTI_STOREY_RATE_FEN = 4500  # Luoyang: 45 yuan/m² for buildings of at most 7 floors
ID_PREFIX = "410302"  # residents registered in Laocheng, Luoyang (GB/T 2260)

# role → (username, password), printed by ``make run``.
DEMO_LOGINS: dict[str, tuple[str, str]] = {
    "bureau": ("bureau", "bureau-demo"),
    "bureau2": ("bureau2", "bureau2-demo"),
    "auditor": ("auditor", "auditor-demo"),
    "company": ("company", "company-demo"),
    "committee": ("committee", "committee-demo"),
    "contractor": ("contractor", "contractor-demo"),
    "owner": ("owner", "owner-demo"),
    # The first street office, covering every eighth area (the areas go round the offices).
    "street": ("street", "street-demo"),
}


def _words(text: str) -> list[str]:
    return text.split()


AREA_NAMES = _words(
    "西大街 东南隅 西南隅 西北隅 东北隅 南关 西关 道北 洛浦 民主街 贴廓巷 丽景门 "
    "东大街 九都路 中州东路 青年宫 妥灵宫 文峰塔 金业路 唐宫路"
)
WORK_UNITS = _words(
    "洛阳玻璃厂 洛阳轴承厂 第一拖拉机厂 洛阳矿山机器厂 洛阳棉纺织厂 洛阳铜加工厂 老城区供电局 "
    "洛阳市邮电局 老城区粮食局 洛阳市第二人民医院 老城区人民医院 洛阳市第一中学 洛阳市第二中学 "
    "老城区教育局 老城区税务局 洛阳市建一公司 洛阳市自来水公司 洛阳市公交公司 洛阳市百货大楼 "
    "洛阳市食品公司 洛阳市糖业烟酒公司 洛阳市五金公司 洛阳市物资局 洛阳市交通局 老城区人民法院 "
    "老城区公安分局 洛阳市煤建公司 洛阳市蔬菜公司 洛阳市印刷厂 洛阳市纺织机械厂 洛阳市化工厂 "
    "洛阳市电机厂 洛阳市酒厂 洛阳市面粉厂 洛阳市搪瓷厂 洛阳市木器厂 洛阳市水泥制品厂 老城区文化局 "
    "老城区卫生防疫站 洛阳市服装厂 洛阳市制药厂 洛阳市无线电厂 洛阳市农机公司 洛阳市医药公司 "
    "洛阳市标准件厂 洛阳市针织厂 洛阳市造纸厂 洛阳市橡胶厂 老城区房管局 洛阳市运输公司 "
    "洛阳市电业局 洛阳市商业局 老城区城建局 洛阳市耐火材料厂 洛阳市光学仪器厂"
)
STREETS = _words(
    "丽景 九都 西大街 东大街 南大街 北大街 民主街 贴廓巷 中州东路 金业路 唐宫东路 青年宫 "
    "妥灵宫 文峰 东关 西关 南关 道北 洛浦 状元红 鼓楼 府君庙 铁路南 邙山 夹马营 瀍西 北窑 "
    "东花坛 春都 环城北路 启明南路 安乐 新街 马市街 义勇街 敦化街 东新安街 西新安街 庄院街 "
    "南新安街 农场路 定鼎路 中和街 同乐寨 柿园 兴隆 兴华 和平 建设 富民 安居 幸福 康乐 光明 "
    "朝阳 育才 聚福 东升 永安 瀍东 福寿 长春 仁和 德胜 泰和 吉祥 双龙 东兴 三友 太平 振兴 "
    "顺德 华林 文明 翠竹 锦绣 荣华 宏达"
)
STREET_OFFICES = _words("西关 西南隅 西北隅 东南隅 东北隅 南关 洛浦 道北路")
COMPANIES = _words(
    "洛阳安居物业服务有限公司 洛阳和顺物业管理有限公司 洛阳丽景物业服务有限公司 "
    "洛阳恒信物业管理有限公司 洛阳福源物业服务有限公司 洛阳嘉禾物业服务有限公司 "
    "洛阳众和物业管理有限公司 洛阳古城物业服务有限公司"
)
CONTRACTORS = _words(
    "洛阳城建工程有限公司 河南豫洛建设集团有限公司 洛阳市古都建筑安装有限公司 "
    "河南中州建设工程有限公司 洛阳瀍河建筑工程有限公司"
)
FAMILY = (
    "王王王王李李李张张张刘刘刘陈陈杨杨赵赵黄周吴徐孙胡朱高郭郭何马马罗梁宋郑谢韩唐冯"
    "于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹"
)
MALE = _words(
    "伟 强 军 建国 建华 国强 志强 卫东 红军 德明 振华 保国 新民 海涛 宏伟 金山 福生 长青 "
    "学军 永红 文斌 俊杰 明 刚 勇 杰 涛 斌 超 磊 鹏 浩 波 辉 亮 峰 建军 国庆 建设 立新"
)
FEMALE = _words(
    "芳 娜 敏 静 丽 秀英 桂英 玉兰 秀兰 凤英 淑珍 丽华 红霞 艳 霞 燕 玲 娟 丽娟 春梅 桂兰 "
    "玉梅 秀珍 爱华 素琴 红梅 海燕 晓燕 慧 颖 婷 雪梅 淑华 翠英 小红 丽萍 秀梅 凤兰 金凤 亚丽"
)
PHONE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 158 159 "
    "177 180 182 183 185 186 187 188 189 199"
)
SERVICES = ["保洁", "秩序维护", "绿化养护", "共用部位及设施设备维护", "垃圾清运"]
# Parts an old-community renovation renews (roof, facade, pipes, wiring).
DEMO_COMPONENTS = ("roofing", "exterior_wall", "plumbing", "electrical")
LAYOUTS = [(f, u) for f in (5, 6, 7) for u in (1, 2, 3, 4)]  # floors, units; 2 flats a floor


class DemoRefused(RuntimeError):
    """The database already holds a district, so the demo would mix with real data."""


@dataclass
class DemoPlan:
    """Every row of a demo district, as column → value dicts (no I/O done yet).

    Owners carry their raw ``id_no`` here only: it is digested and masked on insert.
    """

    district_id: uuid.UUID
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    demo_owner_households: list[uuid.UUID] = field(default_factory=list)

    def rows(self, name: str) -> list[dict[str, Any]]:
        return self.tables.setdefault(name, [])


def allocate(total: int, weights: list[float], minimum: int) -> list[int]:
    """Split ``total`` into parts of at least ``minimum`` in proportion to ``weights``,
    exactly (largest remainder, ties by position)."""
    rest = total - minimum * len(weights)
    assert rest >= 0
    scale = sum(weights)
    raw = [rest * w / scale for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def building_layouts(rng: random.Random, flats: int) -> tuple[list[tuple[int, int]], int]:
    """Buildings (floors, units) holding at least ``flats`` flats, and the surplus (< 8)
    to leave off the register (ground-floor flats turned into shops or service rooms)."""
    layouts: list[tuple[int, int]] = []
    remaining = flats
    while remaining > 66:
        layout = (rng.choice((5, 6, 6, 7)), rng.randint(2, 4))
        layouts.append(layout)
        remaining -= layout[0] * layout[1] * 2
    options: list[list[tuple[int, int]]] = [[a] for a in LAYOUTS if a[0] * a[1] * 2 >= remaining]
    if not options:  # more than one building's worth left: finish with two
        options = [
            [a, b] for a in LAYOUTS for b in LAYOUTS if (a[0] * a[1] + b[0] * b[1]) * 2 >= remaining
        ]

    def surplus(o: list[tuple[int, int]]) -> int:
        return sum(f * u * 2 for f, u in o) - remaining

    best = min(surplus(o) for o in options)
    final = rng.choice([o for o in options if surplus(o) == best])
    return layouts + final, best


def _date(rng: random.Random, first_year: int, last_year: int) -> date:
    return date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))


def build_demo(
    seed: int = DEMO_SEED,
    *,
    district_code: str = DEFAULT_DISTRICT[1],
    district_name: str = DEFAULT_DISTRICT[0],
    username_suffix: str = "",
) -> DemoPlan:
    """All rows of the demo district; pure and deterministic for one seed and code."""
    rng = random.Random(seed)
    id_rng = random.Random(f"changxiao-demo:{seed}:{district_code}")

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=id_rng.getrandbits(128), version=4)

    plan = DemoPlan(district_id=new_id())
    district = plan.district_id
    plan.rows("district").append({"id": district, "name": district_name, "code": district_code})

    def org(kind: str, name: str, community: uuid.UUID | None = None) -> uuid.UUID:
        org_id = new_id()
        plan.rows("organization").append(
            {"id": org_id, "district": district, "kind": kind, "name": name, "community": community}
        )
        return org_id

    bureau_name = (
        DEFAULT_BUREAU
        if district_code == DEFAULT_DISTRICT[1]
        else f"{district_name}住房和城乡建设局"
    )
    bureau = org("bureau", bureau_name)
    audit = org("audit", f"{district_name}审计局")
    streets = [org("street", f"{district_name}{street}街道办事处") for street in STREET_OFFICES]
    companies = [org("company", name) for name in COMPANIES]
    contractors = [org("contractor", name) for name in CONTRACTORS]

    names = [f"{u}家属院" for u in WORK_UNITS] + [f"{s}小区" for s in STREETS]
    community_names = rng.sample(names, sum(COMMUNITIES_BY_YEAR.values()))
    area_names = rng.sample(AREA_NAMES, len(AREA_NAMES))
    communities: list[dict[str, Any]] = []
    for year, (n_areas, n_households) in SHAPE.items():
        per_area = allocate(
            COMMUNITIES_BY_YEAR[year], [rng.uniform(0.6, 1.4) for _ in range(n_areas)], 3
        )
        flats = allocate(
            n_households, [rng.lognormvariate(0, 0.5) for _ in range(sum(per_area))], 24
        )
        accepted = [date(year, 10, 31), date(year, 11, 30), date(year, 12, 25)]
        for count in per_area:
            index = len(plan.rows("area"))
            area = {
                "id": new_id(),
                "district": district,
                "name": f"{area_names[index]}片区",
                "code": f"PQ{year}{index + 1:02d}",
                "renovation_year": year,
            }
            plan.rows("area").append(area)
            plan.rows("street_area").append(
                {"id": new_id(), "street": streets[index % len(streets)], "area": area["id"]}
            )
            contractor = contractors[index % len(contractors)]
            accepted_on = rng.choice(accepted)
            for _ in range(count):
                number = len(communities)
                late = rng.random() < 0.04
                communities.append(
                    {
                        "id": new_id(),
                        "district": district,
                        "area": area["id"],
                        "name": community_names[number],
                        "code": f"XQ{number + 1:03d}",
                        "built_year": rng.randint(2001, 2005) if late else rng.randint(1978, 2000),
                        "deposit_rate_fen": MULTI_STOREY_RATE_FEN,
                        "_flats": flats.pop(0),
                        "_contractor": contractor,
                        "_accepted": accepted_on,
                    }
                )
    plan.tables["community"] = [{k: v for k, v in c.items() if k[0] != "_"} for c in communities]

    committees = {
        c["id"]: org("committee", f"{c['name']}业主委员会", c["id"]) for c in communities[::2]
    }
    households: list[dict[str, Any]] = []
    for number, c in enumerate(communities):
        layouts, surplus = building_layouts(rng, c["_flats"])
        places: list[tuple[int, dict[str, Any]]] = []
        total_area = 0
        for b, (floors, units) in enumerate(layouts, start=1):
            building = {
                "id": new_id(),
                "community": c["id"],
                "name": f"{b}号楼",
                "floors": floors,
                "has_elevator": False,
            }
            plan.rows("building").append(building)
            size = rng.choice(((4000, 5800), (4500, 9500), (4500, 9500), (8000, 14000)))
            plans = [[rng.randint(*size) for _ in range(2)] for _ in range(units)]
            for floor in range(1, floors + 1):
                for unit in range(1, units + 1):
                    for flat in (1, 2):
                        place = {
                            "district": district,
                            "community": c["id"],
                            "building": building["id"],
                            "unit_no": str(unit),
                            "room_no": f"{floor}0{flat}",
                            "floor_area": plans[unit - 1][flat - 1],
                            "floor": floor,
                        }
                        places.append((floor, place))
        # Spread the unregistered flats over ground floors, one building and unit after another.
        places.sort(key=lambda p: (p[0], p[1]["unit_no"], p[1]["room_no"][-1]))
        for _, place in places[surplus:]:
            households.append(place | {"id": new_id()})
            total_area += place["floor_area"]
        company = companies[0] if number == 0 else rng.choice(companies)
        mode = "market" if c["_flats"] >= 90 else "guaranteed"
        if c["id"] in committees and number and rng.random() < 0.25:
            mode = "self"
        fee = {"market": (50, 80), "guaranteed": (30, 45), "self": (30, 50)}[mode]
        plan.rows("contract").append(
            {
                "id": new_id(),
                "district": district,
                "community": c["id"],
                "company": company,
                "mode": mode,
                "status": "live",
                "starts_on": date(2024, 1, 1),
                "ends_on": rng.choice((date(2026, 12, 31), date(2027, 12, 31), date(2028, 12, 31))),
                "fee_fen_per_m2_month": rng.randint(*fee),
                "subsidy_fen_per_m2_month": rng.randint(10, 30),
                "services": list(SERVICES),
            }
        )
        work_id = new_id()
        plan.rows("work").append(
            {
                "id": work_id,
                "district": district,
                "community": c["id"],
                "contractor": c["_contractor"],
                "title": f"{c['name']}老旧小区改造工程",
                "accepted_on": c["_accepted"],
                # 260-480 yuan per m² of floor area, to the yuan (area is in 0.01 m²).
                "settlement_fen": total_area * rng.randint(260, 480) // 100 * 100,
            }
        )
        # What a renovation typically renewed, each at its statutory minimum warranty.
        for category in DEMO_COMPONENTS:
            plan.rows("work_component").append(
                {
                    "id": new_id(),
                    "work": work_id,
                    "community": c["id"],
                    "category": category,
                    "warranty_until": warranty_until(
                        category, c["_accepted"], calendar=national_calendar()
                    ),
                    "period_last_day": warranty_last_day(category, c["_accepted"]),
                }
            )

    # About 5% of owners hold two flats: pair neighbours in a random sample.
    pairs = round(len(households) * 0.05 / 1.05)
    chosen = sorted(rng.sample(range(len(households)), 2 * pairs))
    second_of = {chosen[i + 1]: chosen[i] for i in range(0, len(chosen), 2)}
    built_year = {c["id"]: c["built_year"] for c in communities}
    id_numbers: set[str] = set()
    owner_of: dict[int, uuid.UUID] = {}
    for index, household in enumerate(households):
        resale = rng.random() < 0.2
        if index in second_of:
            owner_of[index] = owner_of[second_of[index]]
        else:
            male = rng.random() < 0.5
            given = rng.choice(MALE if male else FEMALE)
            while True:
                birth = _date(rng, 1955, 1992) if resale else _date(rng, 1932, 1972)
                serial = rng.randrange(0, 1000, 2) + (1 if male else 0)
                first17 = f"{ID_PREFIX}{birth:%Y%m%d}{serial:03d}"
                id_no = first17 + resident_check_digit(first17)
                if id_no not in id_numbers:
                    id_numbers.add(id_no)
                    break
            owner_of[index] = new_id()
            plan.rows("owner").append(
                {
                    "id": owner_of[index],
                    "district": district,
                    "name": rng.choice(FAMILY) + given,
                    "id_no": id_no,
                    "phone": rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}",
                }
            )
        household["owner"] = owner_of[index]
        sold = max(built_year[household["community"]] + 1, 1994)  # housing reform sales
        since = _date(rng, 2006, 2023) if resale else _date(rng, sold, sold + 6)
        plan.rows("ownership").append(
            {"id": new_id(), "household": household["id"], "owner": owner_of[index], "since": since}
        )
    plan.tables["household"] = households

    first, second = next(
        (households[a], households[b])
        for b, a in sorted(second_of.items())
        if households[a]["community"] == households[b]["community"]
    )
    plan.demo_owner_households = [first["id"], second["id"]]
    members = {
        "bureau": bureau,
        "bureau2": bureau,
        "auditor": audit,
        "company": companies[0],
        "committee": committees[communities[0]["id"]],
        "contractor": contractors[0],
        "street": streets[0],
    }
    for key, (username, password) in DEMO_LOGINS.items():
        plan.accounts.append(
            {
                "id": new_id(),
                "username": username + username_suffix,
                "password": password,
                "role": "bureau" if key == "bureau2" else key,
                "district": district,
                "organization": members.get(key),
                "owner": first["owner"] if key == "owner" else None,
                "active": True,
            }
        )
    return plan


def _bound_variables_per_statement() -> int:
    if is_postgres():
        return 30000  # asyncpg: at most 32767 parameters
    return 30000 if sqlite3.sqlite_version_info >= (3, 32) else 999


async def bulk_insert(
    table: type[Table], rows: list[dict[str, Any]], stamp: datetime | None = None
) -> None:
    """Insert ``rows`` with multi-row INSERTs of at most 500 rows (call inside a
    transaction); ``stamp`` fills the table's created_at/recorded_at column.

    Only the columns named in the rows are written: the others take their defaults.
    """
    if not rows:
        return
    given = list(rows[0])
    names = {c._meta.name for c in table._meta.columns}
    extra = [c for c in ("created_at", "recorded_at") if c in names]
    columns = given + extra
    values = "(" + ",".join("{}" for _ in columns) + ")"
    size = min(500, _bound_variables_per_statement() // len(columns))
    head = f"INSERT INTO {table._meta.get_formatted_tablename()} ("
    head += ",".join(f'"{c}"' for c in columns) + ") VALUES "
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        args = [v for row in chunk for v in [*(row[c] for c in given), *([stamp] * len(extra))]]
        await fetch(head + ",".join(values for _ in chunk), *args)


async def _insert_registry(plan: DemoPlan, stamp: datetime) -> None:
    pepper = get_settings().id_pepper
    owners = [
        {k: v for k, v in o.items() if k != "id_no"}
        | {"id_digest": id_digest(o["id_no"], pepper), "id_masked": mask_id_no(o["id_no"])}
        for o in plan.rows("owner")
    ]
    await bulk_insert(District, plan.rows("district"))
    await bulk_insert(Area, plan.rows("area"), stamp)
    await bulk_insert(Community, plan.rows("community"), stamp)
    await bulk_insert(Organization, plan.rows("organization"), stamp)
    await bulk_insert(StreetArea, plan.rows("street_area"), stamp)
    await bulk_insert(Building, plan.rows("building"), stamp)
    await bulk_insert(Owner, owners, stamp)
    await bulk_insert(Household, plan.rows("household"), stamp)
    await bulk_insert(Ownership, plan.rows("ownership"), stamp)
    # Piccolo's own JSON encoding, so the column reads back as if Piccolo had written it.
    contracts = [row | {"services": dump_json(row["services"])} for row in plan.rows("contract")]
    await bulk_insert(Contract, contracts, stamp)
    await bulk_insert(Work, plan.rows("work"), stamp)
    await bulk_insert(WorkComponent, plan.rows("work_component"))


async def insert_plan(plan: DemoPlan) -> dict[str, int]:
    """Write the plan's rows (inside the caller's transaction); return the counts."""
    stamp = now()
    taken = await Account.select(Account.username).where(
        Account.username.is_in([a["username"] for a in plan.accounts])
    )
    if taken:
        raise Conflict("用户名已被使用：" + "、".join(sorted(r["username"] for r in taken)))
    passwords = sorted({a["password"] for a in plan.accounts})
    # argon2 is slow and releases the GIL: hash in threads while the rows go in.
    hashing = asyncio.gather(*(asyncio.to_thread(hash_password, p) for p in passwords))
    await _insert_registry(plan, stamp)
    hashes = dict(zip(passwords, await hashing, strict=True))
    accounts = [
        {k: v for k, v in a.items() if k != "password"} | {"password_hash": hashes[a["password"]]}
        for a in plan.accounts
    ]
    await bulk_insert(Account, accounts, stamp)
    counts = {name: len(rows) for name, rows in plan.tables.items()}
    counts["account"] = len(accounts)
    return counts


async def seed_demo_district(
    *,
    district_code: str = DEFAULT_DISTRICT[1],
    district_name: str = DEFAULT_DISTRICT[0],
    username_suffix: str = "",
    seed: int = DEMO_SEED,
    promise_first_deposits: bool = True,
) -> DemoPlan:
    """Add one whole demo district beside whatever the database holds, all or nothing,
    with its promise of first deposits (``keep_first_deposit_promises`` posts them) unless
    ``promise_first_deposits`` is false (a registry without a fund, for tests).

    Refuses (409) when the district code or one of the demo usernames is taken.
    """
    plan = build_demo(
        seed,
        district_code=district_code,
        district_name=district_name,
        username_suffix=username_suffix,
    )
    async with transaction():
        if await District.exists().where(District.code == district_code):
            raise Conflict(f"行政区编码 {district_code} 已存在。")
        counts = await insert_plan(plan)
        # The promise goes in with the households: if the process dies before every first
        # deposit is posted, ``fund verify`` names the gap and the next seed finishes it.
        if promise_first_deposits:
            await FirstDepositPromise.insert(
                FirstDepositPromise(
                    district=plan.district_id, source="demo_seed", promised_at=now()
                )
            )
        await record(
            None,
            "demo.seed",
            "district",
            plan.district_id,
            after=counts,
            district_id=plan.district_id,
        )
    return plan


async def keep_first_deposit_promises() -> int:
    """Post every first deposit a seed promised and has not posted yet (a seed stopped
    part-way), then mark its promise kept; returns how many promises it finished.

    Each community's deposits are one transaction and post only for accounts without a
    first deposit, so this may itself be stopped and run again at any point.
    """
    from service.funds.batches import post_first_deposits_for_district
    from service.funds.ledger import broken_first_deposit_promises

    open_promises = await FirstDepositPromise.select().where(
        FirstDepositPromise.fulfilled_at.is_null()
    )
    for promise in open_promises:
        district_id = promise["district"]
        await post_first_deposits_for_district(district_id)
        communities = await Community.select(Community.id).where(Community.district == district_id)
        for community in communities:
            if problems := await broken_first_deposit_promises(community["id"]):
                raise RuntimeError(problems[0])
        async with transaction():
            await FirstDepositPromise.update({FirstDepositPromise.fulfilled_at: now()}).where(
                FirstDepositPromise.id == promise["id"]
            )
            await record(
                None, "demo.seed_completed", "district", district_id, district_id=district_id
            )
    return len(open_promises)


async def seed_demo(if_empty: bool = False) -> bool:
    """Load the Laocheng demo into an empty database, first deposits included; True when
    it did, or when it finished a seed that had been stopped part-way.

    The registry rows go in one transaction with the seed's first-deposit promise; the
    deposits follow, one transaction per community (``keep_first_deposit_promises``),
    so a seed killed at any point is finished by the next ``seed --demo`` (with or
    without ``--if-empty``) and never reported done while a deposit is missing.
    On a database that already holds a finished district: return False with
    ``if_empty``, otherwise raise ``DemoRefused`` (the demo never mixes with real data).
    """
    if await keep_first_deposit_promises():
        return True
    async with transaction():
        if await District.count() > 0:
            if if_empty:
                return False
            raise DemoRefused(
                "数据库中已有行政区数据，演示数据只能载入空数据库（如需跳过请使用 --if-empty）。"
            )
        await seed_demo_district()
    await keep_first_deposit_promises()
    return True
