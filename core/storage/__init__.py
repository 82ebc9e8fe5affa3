"""Persistence shared by the gateway and the action server (SQLAlchemy 2)."""
