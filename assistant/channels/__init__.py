"""SMS and WhatsApp: formatting for the medium, opt-outs, de-duplication and the providers' APIs.

The webhooks live in assistant/gateway/channels_twilio.py and channels_whatsapp.py;
everything they share is here, so both providers behave the same for the patient.
"""
