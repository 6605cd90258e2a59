"""Cases: the client's file every process instance belongs to (DESIGN rule 9).

Plain domain functions (sessions passed in, transactions owned by the caller or by the
command functions here); HTTP lives in engine/api/cases.py.
"""
