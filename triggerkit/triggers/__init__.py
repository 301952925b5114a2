"""Triggers, at APScheduler 3's ``apscheduler.triggers`` path."""
