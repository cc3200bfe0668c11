"""Keys in More, on one phone: a password change re-wraps the key under the new password; a new
recovery kit replaces the old one; and after the operator's reset link the key, still wrapped
under the lost password, is opened with the kit and wrapped under the new one."""

from __future__ import annotations

import httpx
import nacl.exceptions
from playwright.async_api import Browser, Page, expect

from tests import e2ee
from tests.browser import (
    ANY_REFUSAL,
    NO_PUSH_IN_INCOGNITO,
    axe,
    phone,
    real_errors,
    sign_up,
    stored_session,
    watch_console,
)
from tests.commands import served_reset_link
from tests.conftest import Served
from tests.helpers import PASSWORD
from tests.test_browser_keys import written_down_kit

CHANGED = "a changed passphrase"
RESET = "after the reset link"


def proof_of(kit: str) -> str:
    return e2ee.recovery_proof(bytes.fromhex(kit.replace(" ", "")))


async def wrap_opens_with(server: str, page: Page, password: str) -> bool:
    stored = await stored_session(page)
    assert stored is not None
    user = stored["user"]
    assert isinstance(user, dict)
    headers = {"Authorization": f"Bearer {stored['access_token']}"}
    async with httpx.AsyncClient(base_url=server, headers=headers) as http:
        mine = (await http.get("/api/keys/mine")).json()
    try:
        e2ee.open_password_wrap(str(user["id"]), mine["password_wrap"], password)
    except nacl.exceptions.CryptoError:
        return False
    return True


async def kit_works(server: str, email: str, kit: str) -> bool:
    async with httpx.AsyncClient(base_url=server) as http:
        answer = await http.post(
            "/api/keys/recovery-wrap", json={"email": email, "recovery_proof": proof_of(kit)}
        )
    return answer.status_code == 200


async def test_password_change_new_kit_and_reset_link(
    served: Served, server: str, browser: Browser
) -> None:
    context = await phone(browser, server)
    page = await context.new_page()
    errors = watch_console(page)
    await page.goto("/")
    await sign_up(page, "Alice")
    first_kit = await written_down_kit(page)
    stored = await stored_session(page)
    assert stored is not None
    email = str(stored["user"]["email"])  # type: ignore[index]

    # A password change in More: the key follows the new password.
    await page.goto("/#/settings")
    await expect(page.locator("#keys-today")).to_be_visible()
    await page.locator("#current-password").fill(PASSWORD)
    await page.locator("#new-password").fill(CHANGED)
    await page.locator("#new-password-again").fill(CHANGED)
    await page.get_by_role("button", name="Change password").click()
    await expect(page.locator("#password-form [role=status]")).to_contain_text("Password changed")
    assert await wrap_opens_with(server, page, CHANGED)

    # A new kit: shown once here, the old one stops working.
    form = page.locator("#new-kit")
    await form.get_by_label("Password for your keys").fill("not my password")
    await form.get_by_role("button", name="Make a new kit").click()
    await expect(form.get_by_role("alert")).to_contain_text("does not open your keys")
    await form.get_by_label("Password for your keys").fill(CHANGED)
    await form.get_by_role("button", name="Make a new kit").click()
    new_kit = (await form.locator("#kit-code").inner_text()).strip()
    await axe(page, "settings-new-kit")
    assert new_kit != first_kit
    assert not await kit_works(server, email, first_kit)
    assert await kit_works(server, email, new_kit)

    # The operator's reset link: a new password, the key still wrapped under the old one.
    link = await served_reset_link(server, served.data_dir, email)
    await page.goto(link)
    await page.locator("#reset").get_by_label("New password", exact=True).fill(RESET)
    await page.locator("#reset").get_by_label("New password again").fill(RESET)
    await page.get_by_role("button", name="Save and sign in").click()
    await expect(page.get_by_role("button", name="Create an invite")).to_be_visible()
    assert not await wrap_opens_with(server, page, RESET)

    await page.goto("/#/settings")
    stale = page.locator("#stale-wrap")
    await expect(stale).to_contain_text("still locked with the one before")
    await stale.get_by_label("Recovery kit").fill(new_kit)
    await stale.get_by_label("Password for your keys").fill(RESET)
    await stale.get_by_role("button", name="Open my keys").click()
    await expect(stale.get_by_role("status")).to_contain_text("open again")
    assert await wrap_opens_with(server, page, RESET)
    assert real_errors(errors, ANY_REFUSAL, NO_PUSH_IN_INCOGNITO) == []
    await context.close()
