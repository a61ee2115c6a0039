//! Name resolution: the program-wide table of declared names, and lookups of
//! references in it.
