// Package swap is mf-swap: SWAP accounting between peers (whitepaper,
// "Incentivized packet routing"). It prices the traffic mf-route exchanges
// with each peer and the requests other services serve, nets the balance in
// both directions, invoices a peer that owes more than the payment
// threshold, and settles with EIP-712 cheques against the peer's checkbook
// contract, cashed on chain when enough has accumulated.
package swap
