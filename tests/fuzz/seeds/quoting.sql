SELECT "quoted ""id""", `b`, 'it''s' FROM "t" /* c */ -- d
