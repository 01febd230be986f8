"""For maintainers: the report on what to improve, and the quality evaluation."""
