"""Name the worker's actor per task: ``system: <schedule or task name>`` on the ``worker`` channel."""

from __future__ import annotations

from django_q.signals import pre_execute

from . import context


def _task_started(sender, func=None, task=None, **kwargs):
    task = task or {}
    if task.get("sync"):
        # Test settings and ``sync=True`` run a task inline: whoever called it stays the actor.
        return
    if task.get("group"):  # the scheduler puts a schedule's tasks in a group named after it
        actor = f"system: schedule {task['group']}"
    else:
        target = task.get("func")
        name = target if isinstance(target, str) else getattr(target or func, "__qualname__", "task")
        actor = f"system: task {name}"
    context.set_context(context.AuditContext(channel=context.WORKER, actor=actor[:150]))


def connect() -> None:

    pre_execute.connect(_task_started, dispatch_uid="audit-task-started")
