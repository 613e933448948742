"""Graph learning for EmoGraph as a plain library: no Django import anywhere in this package.

The Django side hands it arrays (ids, parent ids, author ids, features) and gets arrays back.
"""
