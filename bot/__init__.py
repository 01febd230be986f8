"""Wegwijs: answers the practical questions of refugees in Flanders and Brussels."""
