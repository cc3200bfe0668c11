"""The fixed checklist of common activities, by category. Keys are stable; labels may change."""

from __future__ import annotations

CATALOGUE: tuple[tuple[str, str, str], ...] = (
    # (key, category, label)
    ("protocol.honorifics", "protocol", "Honorifics and titles"),
    ("protocol.rules_daily", "protocol", "Daily rules"),
    ("protocol.rituals", "protocol", "Rituals (greetings, kneeling, check-ins)"),
    ("protocol.permission", "protocol", "Asking permission"),
    ("protocol.tasks", "protocol", "Assigned tasks and chores"),
    ("protocol.public_discreet", "protocol", "Discreet protocol in public"),
    ("protocol.journaling", "protocol", "Journaling or reports"),
    ("protocol.clothing", "protocol", "Clothing choices"),
    ("service.domestic", "service", "Domestic service"),
    ("service.personal", "service", "Personal service (serving drinks, massage)"),
    ("service.grooming", "service", "Grooming and care of the partner"),
    ("care.aftercare_physical", "care", "Physical aftercare (holding, blankets)"),
    ("care.aftercare_verbal", "care", "Verbal aftercare and reassurance"),
    ("care.praise", "care", "Praise"),
    ("care.rewards", "care", "Rewards"),
    ("care.checkins_daily", "care", "Daily check-ins"),
    ("discipline.lines", "discipline", "Writing lines"),
    ("discipline.corner_time", "discipline", "Corner time"),
    ("discipline.loss_of_privileges", "discipline", "Loss of privileges"),
    ("discipline.funishment", "discipline", "Playful punishment"),
    ("sensation.spanking_hand", "sensation", "Spanking by hand"),
    ("sensation.impact_toys", "sensation", "Impact with toys (paddles, floggers)"),
    ("sensation.biting_scratching", "sensation", "Biting and scratching"),
    ("sensation.temperature", "sensation", "Temperature play"),
    ("sensation.tickling", "sensation", "Tickling"),
    ("sensation.sensory_deprivation", "sensation", "Blindfolds and sensory deprivation"),
    ("restraint.hands", "restraint", "Hand restraints"),
    ("restraint.rope", "restraint", "Rope bondage"),
    ("restraint.cuffs", "restraint", "Cuffs and collars"),
    ("restraint.held_down", "restraint", "Being held down"),
    ("verbal.dirty_talk", "verbal", "Dirty talk"),
    ("verbal.degradation", "verbal", "Degradation or humiliation"),
    ("verbal.orders", "verbal", "Orders and commands"),
    ("verbal.begging", "verbal", "Begging"),
    ("control.orgasm", "control", "Orgasm control"),
    ("control.chastity", "control", "Chastity"),
    ("control.schedule", "control", "Control of schedule or routine"),
    ("control.finances", "control", "Control of finances"),
    ("roleplay.age_neutral_roles", "roleplay", "Role play (teacher, officer, etc.)"),
    ("roleplay.pet_play", "roleplay", "Pet play"),
    ("intimacy.kissing", "intimacy", "Kissing and cuddling on command"),
    ("intimacy.photos_private", "intimacy", "Private photos between partners"),
)

KEYS = frozenset(key for key, _, _ in CATALOGUE)

# Items done by one of you to or for the other, so an answer may be for giving or receiving.
# The rest are shared (a ritual, discretion in public) and have no direction.
UNDIRECTED = frozenset(
    {
        "protocol.rituals",
        "protocol.public_discreet",
        "care.checkins_daily",
        "roleplay.age_neutral_roles",
        "intimacy.photos_private",
    }
)
DIRECTED = KEYS - UNDIRECTED
