"""boxoffice: a movie-ticket booking backend that stays correct under a burst."""
