"""Executors, at APScheduler 3's ``apscheduler.executors`` path."""
