"""The committee's and an owner's journeys in a real browser (Chromium), on the demo
district served by a real server. Each page visited leaves a screenshot."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from service.registry.demo import DEMO_LOGINS

COMMITTEE, COMMITTEE_PASSWORD = DEMO_LOGINS["committee"]
OWNER, OWNER_PASSWORD = DEMO_LOGINS["owner"]
BUREAU, BUREAU_PASSWORD = DEMO_LOGINS["bureau"]
DESKTOP = {"width": 1100, "height": 860}
PHONE = {"width": 390, "height": 844}


async def shoot(page: Any, folder: Path, name: str) -> None:
    """A small PNG of what the visitor sees (256 colours)."""
    raw = await page.screenshot(full_page=False)
    image = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=256)
    image.save(folder / f"{name}.png", optimize=True)


async def sign_in(page: Any, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()


async def api_token(page: Any, base: str, username: str, password: str) -> dict[str, str]:
    answer = await page.request.post(
        f"{base}/api/v1/auth/login", data={"username": username, "password": password}
    )
    assert answer.ok
    return {"Authorization": f"Bearer {(await answer.json())['access_token']}"}


@pytest.fixture
async def context(chromium: Any) -> Any:
    ctx = await chromium.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    yield ctx
    await ctx.close()


async def test_an_anonymous_visitor_is_sent_to_sign_in(
    demo_server: str, context: Any, screenshots: Path
) -> None:
    page = await context.new_page()
    await page.goto(f"{demo_server}/fund-uses")
    assert re.search(r"/login\?next=%2Ffund-uses$", page.url)
    assert await page.locator("h1").inner_text() == "登录"
    await shoot(page, screenshots, "01-login")
    await page.goto(f"{demo_server}/claim")
    await page.select_option("select[name=community_id]", index=1)
    await page.wait_for_function("document.querySelectorAll('#building option').length > 1")
    await shoot(page, screenshots, "12-claim")


async def test_the_committee_reads_the_balance_opens_a_household_and_downloads_the_statement(
    demo_server: str, context: Any, screenshots: Path
) -> None:
    page = await context.new_page()
    await sign_in(page, demo_server, COMMITTEE, COMMITTEE_PASSWORD)
    found = re.search(r"/communities/([0-9a-f-]{36})$", page.url)
    assert found, page.url
    community_id = found.group(1)
    token = await api_token(page, demo_server, COMMITTEE, COMMITTEE_PASSWORD)
    fund = await (
        await page.request.get(
            f"{demo_server}/api/v1/communities/{community_id}/fund", headers=token
        )
    ).json()
    assert await page.locator("#balance").inner_text() == fund["balance"]
    assert await page.locator("#chain-head").inner_text() == fund["chain_head"]
    await page.locator("#balance-chart canvas").wait_for()
    await page.locator("#verify .tag.ok").wait_for()
    await shoot(page, screenshots, "02-committee-home")

    async with page.expect_download() as download:
        await page.click("#statement")
    pdf = Path(await (await download.value).path())
    assert pdf.read_bytes().startswith(b"%PDF")

    await page.click("text=房屋查询（分户账）")
    await page.fill("input[name=q]", "2号楼")
    await page.wait_for_function(
        "[...document.querySelectorAll('#rows a')].every(a => a.textContent.includes('2号楼'))"
    )
    await shoot(page, screenshots, "03-household-lookup")
    await page.locator("#rows a").first.click()
    await page.wait_for_url(re.compile(r"/households/"))
    assert re.fullmatch(r"-?\d+\.\d{2}", await page.locator("#balance").inner_text())
    assert await page.locator("table tr").count() >= 2
    await shoot(page, screenshots, "04-household")

    await page.goto(f"{demo_server}/fund-uses")
    await shoot(page, screenshots, "05-fund-uses")
    await page.click("text=雨污管道更换")
    await page.locator("#tally .meter").first.wait_for()
    await shoot(page, screenshots, "06-fund-use-committee")
    use_url = page.url

    await page.goto(f"{demo_server}/repairs")
    await shoot(page, screenshots, "07-repairs")

    # Editing the URL to another community's id: 404, as if it did not exist.
    bureau = await api_token(page, demo_server, BUREAU, BUREAU_PASSWORD)
    communities = await (
        await page.request.get(f"{demo_server}/api/v1/communities?limit=5", headers=bureau)
    ).json()
    other = next(c["id"] for c in communities["items"] if c["id"] != community_id)
    response = await page.goto(f"{demo_server}/communities/{other}")
    assert response is not None and response.status == 404
    assert "不在您的权限范围内" in await page.content()
    await shoot(page, screenshots, "11-not-found")

    # A form posted without its CSRF token is refused, and records nothing.
    use_id = use_url.rsplit("/", 1)[1]
    sheet = await (
        await page.request.get(f"{demo_server}/api/v1/fund-uses/{use_id}/tally", headers=token)
    ).json()
    refused = await page.request.post(
        f"{demo_server}/fund-uses/{use_id}/ballots",
        form={"household_id": str(fund["community_id"]), "choice": "yes"},
    )
    assert refused.status == 403
    again = await (
        await page.request.get(f"{demo_server}/api/v1/fund-uses/{use_id}/tally", headers=token)
    ).json()
    assert again == sheet


async def test_the_owner_casts_a_ballot_sees_the_tally_change_and_reports_a_repair(
    demo_server: str, context: Any, chromium: Any, screenshots: Path, tmp_path: Path
) -> None:
    page = await context.new_page()
    await sign_in(page, demo_server, OWNER, OWNER_PASSWORD)
    assert page.url.endswith("/households")
    await shoot(page, screenshots, "08-owner-home")

    await page.click("text=雨污管道更换")
    before = int(await page.locator("#yes-owners").inner_text())
    assert "决定什么" in await page.content()
    for fieldset in await page.locator("#ballot fieldset").all():
        await fieldset.locator("input[value=yes]").check()
    await page.click("text=提交选票")
    await page.locator("text=选票已记录").wait_for()
    assert int(await page.locator("#yes-owners").inner_text()) == before + 1
    await shoot(page, screenshots, "09-fund-use-owner")

    photo = tmp_path / "leak.png"
    Image.new("RGB", (64, 48), (180, 120, 90)).save(photo)
    await page.goto(f"{demo_server}/repairs/new")
    await page.select_option("select[name=where]", index=0)
    await page.select_option("select[name=category]", "plumbing")
    await page.fill("textarea[name=description]", "卫生间地漏返水，楼下有水渍。")
    await page.set_input_files("input[name=photos]", str(photo))
    await page.click("text=提交报修")
    await page.locator("text=报修已提交").wait_for()
    # The photo loads after the page: wait for it rather than read it mid-flight.
    await page.wait_for_function(
        "(() => { const i = document.querySelector('.photos img');"
        " return i !== null && i.complete && i.naturalWidth > 0; })()"
    )
    assert await page.evaluate("document.querySelector('.photos img').naturalWidth") == 64
    assert await page.locator("#responsible").inner_text()
    await shoot(page, screenshots, "10-repair")

    phone = await chromium.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    mobile = await phone.new_page()
    await sign_in(mobile, demo_server, OWNER, OWNER_PASSWORD)
    await shoot(mobile, screenshots, "13-owner-home-phone")
    await phone.close()

    # The committee's tally page shows the owner as served (送达).
    committee = await chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    other = await committee.new_page()
    await sign_in(other, demo_server, COMMITTEE, COMMITTEE_PASSWORD)
    await other.goto(page.url.split("/repairs")[0] + "/fund-uses")
    await other.click("text=雨污管道更换")
    assert int(await other.locator("#served").inner_text()) >= 1
    await committee.close()


async def test_the_demo_shows_every_state(demo_server: str, context: Any) -> None:
    page = await context.new_page()
    token = await api_token(page, demo_server, BUREAU, BUREAU_PASSWORD)

    async def items(path: str) -> list[dict[str, Any]]:
        answer = await page.request.get(f"{demo_server}/api/v1/{path}", headers=token)
        assert answer.ok, path
        return list((await answer.json())["items"])

    statuses = {u["status"] for u in await items("fund-uses?limit=500")}
    assert statuses >= {
        "voting",
        "approved",
        "paying",
        "settled",
        "rejected",
        "cancelled",
        "pending_approval",
    }
    tickets = {t["status"] for t in await items("repairs?limit=500")}
    assert tickets >= {"assigned", "accepted", "in_progress", "done", "verified", "disputed"}
    periods = await items("rating-periods?limit=50")
    assert {p["status"] for p in periods} >= {"open", "finalized"}
