"""Patient-safety checks that run before the dialogue (red-flag detection, fixed safety wording)."""
