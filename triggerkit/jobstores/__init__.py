"""Job stores, at APScheduler 3's ``apscheduler.jobstores`` path."""
