// Why a change of the sign-in details was refused, in words, for the email and password forms.
import { describe, invalidField, secondsToWait } from "../../errors.js";
import { inMinutes } from "../../format.js";
import { PASSWORD_MAX, PASSWORD_MIN } from "../../password-rule.js";

// A refused change of email or password in words, and the field it is about (or null).
// `fields` names this form's inputs: {current, email, password}.
export function signInProblem(error, fields) {
  const wait = inMinutes(secondsToWait(error), "in a few minutes");
  const words = {
    wrong_password: ["Your current password is not right. Nothing was changed.", fields.current],
    email_taken: ["Another account already uses this email. Nothing was changed.", fields.email],
    too_many_attempts: [`Too many wrong passwords: changes that need the password are paused for safety. Try again ${wait}.`, null],
  };
  const invalid = {
    email: ["This email address does not look right. Check it, like name@example.org.", fields.email],
    new_password: [`The new password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`, fields.password],
    current_password: ["Type your current password.", fields.current],
  };
  if (error?.status === 429) return words.too_many_attempts;
  return words[error?.code] || invalid[invalidField(error)] || [describe(error), null];
}
