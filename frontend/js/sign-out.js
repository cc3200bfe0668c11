// Signing this phone out, from the settings and from the lock screen (too many wrong PINs).
import { logout } from "./api.js";
import { wipe } from "./idb.js";
import { within } from "./promises.js";
import * as push from "./push.js";

// Stops pushes to this phone, so that a phone in other hands stops getting this person's
// notifications. It waits a few seconds at most, and a failure is let go on purpose: a push
// service that does not answer must not keep anyone signed in, or their account undeleted.
export async function stopPushes() {
  await within(
    3000,
    push.disable().catch(() => null),
    null,
  );
}

// Stops pushes, signs out on the server and forgets everything this phone holds.
export async function signOutHere() {
  await stopPushes();
  await logout();
  await wipe();
}
