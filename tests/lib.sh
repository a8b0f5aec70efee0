# shared shell helpers for netns tests
