// Package courtapi is how other programs talk to mf-court: the types of
// its local API, the endpoints, and the typed client over the Unix
// socket. It links none of the service.
//
// The local API of mf-court, on $MF_HOME/court.sock:
//
//	POST /v0/stakes               StakeRequest → Agreement
//	GET  /v0/stakes               []Agreement this node provides or is client of
//	POST /v0/unstake              IDRequest → Agreement
//	GET  /v0/agreements/{id}      Agreement, anyone's, as the chain has it
//	POST /v0/promises             PromiseRequest → Claim (give it to the client)
//	POST /v0/cases                CaseRequest → CaseInfo
//	GET  /v0/cases/{id}           CaseInfo
//	GET  /v0/cases                []CaseInfo this node opened or answered
//	GET  /v0/record/{address}     Record: verdicts for and against
//	GET  /v0/witness              WitnessInfo: this node in the witness pool
//	POST /v0/witness              WitnessRequest → WitnessInfo (join or leave)
//
// and for peers, through mf-route's gateway (witness.go):
//
//	GET  /remote/v0/chunks?case=ID&index=I,J   ChunksAnswer
package courtapi
