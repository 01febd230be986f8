"""What is kept about people: the store, scrubbing of personal data, flood
limits and the volunteers' queue."""
