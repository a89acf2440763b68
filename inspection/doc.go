// Package inspection is the returns domain: returns, inspections, grades,
// verdicts, media records, unit labels, users, sites, the audit chain and
// the policies that decide deadlines and fees.
//
// It must not know HTTP, the database driver or the media store: adapters
// in other packages translate to and from these types.
package inspection
