// The parameter core (EQ parameters, controls, modes, units, process spec) is part of
// this module's interface.
@_exported import EQCore
