"""Indexes the engine's hot path needs at thousands of bots.

``procrastinate_jobs (lock)`` for waiting and running jobs: Procrastinate's fetch query rejects
a candidate whose lock has an earlier waiting job or a running one (``NOT EXISTS ... other_jobs.lock
= jobs.lock``), and its own indexes on ``lock`` cover running jobs only. With one waiting step per
bot, every fetch then scanned all waiting jobs: 3,000 waiting jobs took a worker from 27 to 0.7
jobs per second. Procrastinate's table, our index: it changes no row and no query's result.

``trading_fill (bot, executed_at)``: each step reads the trade ids of its re-read window.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("trading", "0002_engine"),
        ("procrastinate", "0041_post_retry_failed_job"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS sequence_jobs_lock_waiting ON procrastinate_jobs (lock) "
            "WHERE status IN ('todo', 'doing')",
            "DROP INDEX IF EXISTS sequence_jobs_lock_waiting",
        ),
        migrations.AddIndex(
            model_name="fill",
            index=models.Index(fields=["bot", "executed_at"], name="fill_bot_time"),
        ),
    ]
