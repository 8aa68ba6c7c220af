package api

import (
	"net/http"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/go-chi/chi/v5"
)

// issuanceView is what GET /v1/issuances/{code} tells of a signature this region made: the
// registry's record and its standing now, without the document (the link of its QR code).
type issuanceView struct {
	Code         string          `json:"code"`
	Digest       string          `json:"digest"`
	Format       string          `json:"format"`
	Document     string          `json:"document,omitempty"`
	SignedAt     time.Time       `json:"signedAt"`
	Region       regionView      `json:"region"`
	Seal         issuanceSeal    `json:"seal"`
	SignerSerial string          `json:"signerSerial"`
	Licence      *licenceView    `json:"licence,omitempty"`
	Standing     string          `json:"standing"` // in_force, not_in_force, revoked
	Reasons      []string        `json:"reasons,omitempty"`
	CheckedAt    time.Time       `json:"checkedAt"`
	Certificate  *revocationView `json:"certificateRevocation,omitempty"`
}

type regionView struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type issuanceSeal struct {
	ESID       string          `json:"esID"`
	Name       string          `json:"name"`
	ValidEnd   time.Time       `json:"validEnd"`
	Picture    []byte          `json:"picture,omitempty"` // the seal's picture (PNG, JPEG, GIF…)
	PictureTyp string          `json:"pictureType,omitempty"`
	Revocation *revocationView `json:"revocation,omitempty"`
}

type revocationView struct {
	Reason         string    `json:"reason"`
	RevokedAt      time.Time `json:"revokedAt"`
	InvalidityDate time.Time `json:"invalidityDate,omitzero"`
}

type licenceView struct {
	ID          string    `json:"id"`
	Holder      string    `json:"holder,omitempty"`
	Type        string    `json:"type,omitempty"`
	State       string    `json:"state"`
	Replacement string    `json:"replacement,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Basis       string    `json:"basis,omitempty"`
	Since       time.Time `json:"since"`
}

// handleIssuance answers GET /v1/issuances/{code} (public): the signature with this
// verification code, and whether it stands now: its licence in force, its seal and signer
// certificate not revoked.
func (s *server) handleIssuance(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Store == nil {
		writeProblem(w, r, s.log, errNotFound("this service keeps no issuance registry"))
		return
	}
	st := s.cfg.Store
	rec, err := st.IssuanceByCode(chi.URLParam(r, "code"))
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	region, err := st.Region()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	now := time.Now().UTC()
	if s.cfg.Now != nil {
		now = s.cfg.Now().UTC()
	}
	out := issuanceView{Code: rec.Code, Digest: rec.ID, Format: rec.Format, Document: rec.Document, SignedAt: rec.SignedAt.UTC(),
		Region: regionView{Code: region.Code, Name: region.Name}, SignerSerial: rec.SignerSerial, Standing: "in_force", CheckedAt: now}
	if sl, err := st.Seal(rec.ESID); err == nil {
		out.Seal = issuanceSeal{ESID: sl.ESID, Name: sl.Name, ValidEnd: sl.ValidEnd.UTC()}
		if parsed, err := seal.ParseSeal(sl.ESL); err == nil {
			out.Seal.Picture, out.Seal.PictureTyp = parsed.Picture.Data, parsed.Picture.Type
		}
		if rs, err := st.SealStatus(sl.ESID, sl.ESL); err == nil && rs.Revoked {
			out.Seal.Revocation = &revocationView{Reason: rs.Reason.String(), RevokedAt: rs.RevokedAt.UTC(), InvalidityDate: rs.InvalidityDate}
			out.Standing, out.Reasons = "revoked", append(out.Reasons, "seal_revoked")
		}
		if rv := certificateRevocation(st, sl.SignerCert); rv != nil {
			out.Certificate = rv
			out.Standing, out.Reasons = "revoked", append(out.Reasons, "certificate_revoked")
		}
	} else {
		out.Seal.ESID = rec.ESID
	}
	if rec.LicenceID != "" {
		if lic, err := st.Licence(rec.LicenceID); err == nil {
			last := lic.History[len(lic.History)-1]
			out.Licence = &licenceView{ID: lic.ID, Holder: lic.Holder, Type: lic.Type, State: lic.State, Replacement: lic.Replacement, Since: last.At.UTC()}
			if lic.State != certstore.LicenceInForce {
				out.Licence.Reason, out.Licence.Basis = last.Reason, last.Basis
				if out.Standing == "in_force" {
					out.Standing = "not_in_force"
				}
				out.Reasons = append(out.Reasons, "licence_"+lic.State)
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store") // the standing is of now
	writeJSON(w, http.StatusOK, out)
}

// certificateRevocation is the signer certificate's revocation in the store, nil when none.
func certificateRevocation(st *certstore.Store, der []byte) *revocationView {
	cert, err := smcrypto.ParseCertificate(der)
	if err != nil {
		return nil
	}
	root, err := st.RootCertificate()
	if err != nil {
		return nil
	}
	rs, err := st.CertificateStatus(cert, root)
	if err != nil || !rs.Revoked {
		return nil
	}
	return &revocationView{Reason: rs.Reason.String(), RevokedAt: rs.RevokedAt.UTC(), InvalidityDate: rs.InvalidityDate}
}
