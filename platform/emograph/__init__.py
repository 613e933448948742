"""EmoGraph's Django apps. One umbrella package so app names never collide with libraries."""
