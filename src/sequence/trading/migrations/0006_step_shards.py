"""Steps in shard ticks: each bot's due time and shard on its engine row.

Before, every bot-step was its own job (``trading.bot_step``, lock ``bot:{id}``); now one job
per shard-tick steps the shard's due bots (``trading.step_shard``, lock ``steps:{shard}``).
The waiting per-bot step jobs are dropped and every stepping bot is due at once; the next
``ensure_chains`` (every minute) defers the shards' ticks.
"""

from django.conf import settings
from django.db import migrations, models

STEPPING = ("live", "paused", "needs_attention")


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("UPDATE trading_botengine e SET next_step_at = now(), shard = COALESCE(b.number, 0) %% %s "
                    "FROM trading_bot b WHERE b.id = e.bot_id AND b.status = ANY(%s) AND b.launched_at IS NOT NULL",
                    [settings.ENGINE_SHARDS, list(STEPPING)])
        cur.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'trading.bot_step' AND status = 'todo'")


class Migration(migrations.Migration):

    dependencies = [
        ('trading', '0005_side_strategy_version'),
        ('procrastinate', '0041_post_retry_failed_job'),
    ]

    operations = [
        migrations.AddField(
            model_name='botengine',
            name='shard',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='botengine',
            name='next_step_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='botengine',
            index=models.Index(fields=['shard', 'next_step_at'], name='engine_shard_due'),
        ),
        migrations.AlterField(
            model_name='engineevent',
            name='kind',
            field=models.CharField(choices=[('adopted', "Adopted the exchange's state"), ('foreign_activity', 'Foreign activity'), ('order_lost', 'Order not found on the exchange'), ('below_minimum', 'Below the market minimum'), ('error', 'Step failed'), ('deposit', 'Funds moved'), ('funding', 'Funding paid or received')], max_length=20),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
