"""Supervision: who carries which case, who is away and who covers, moving work between people,
and the team, caseload and queue views a supervisor keeps every client covered with.

Everything here reads and writes indexed rows (human tasks, case owners, absences); nothing
loads a workflow. Data functions take the session; callers own the transaction.
"""
