// Package bench holds eseal's speed and memory benchmarks, which need both the sign and verify
// libraries (verify itself never depends on sign). Each target is measured against its named
// reference in the same run; scripts/bench prints the ratios.
//
//	Verify/{licence,100MB}/eseal-sm2              eseal's full verification of an SM2-sealed PDF
//	Verify/{licence,100MB}/reference-sm3+sm2      SM3 of the same signed bytes + the same SM2 verifications
//	Verify/{licence,100MB}/pdfsign-ecdsa          pdfsign's own verify of the same PDF signed with ECDSA P-256
//	Sign/licence/{eseal-sm2,pdfsign-ecdsa}        sealing vs pdfsign's own ECDSA signing of the same PDF
//	VerifyPeakRSS/100MB                           peak resident memory of a process verifying the 100 MB PDF
package bench
