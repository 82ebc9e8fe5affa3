"""The few sentences the assistant says without the dialogue: fixed safety wording.

{placeholders} are filled from site.yml.
"""

EMERGENCY = ("This may be an emergency. Call {emergency_number} now. Do not wait for a reply here. "
             "If you are bleeding, press firmly on the spot while you wait for help.")

UNAVAILABLE = ("Sorry, I can't answer right now because of a technical problem. Your message has been kept "
               "for the secretariat. You can call them on {department_phone} ({opening_hours}). "
               "If this is an emergency, call {emergency_number} now.")

# While a member of staff has taken the conversation over (assistant/storage/held.py says which one is due).
STAFF_WILL_REPLY = ("Thank you. A member of staff has your message and will reply here. "
                    "If it is an emergency, call {emergency_number} now.")
STAFF_WILL_READ = "Thank you. The member of staff will read this too."
