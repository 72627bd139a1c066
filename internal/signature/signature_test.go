package signature_test

import (
	"encoding/base64"
	"maps"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/signature"
)

// The vectors below were computed with openssl, outside this code:
//
//	printf '%s' '1717000000.{"event":"message_created","id":1}' | openssl dgst -sha256 -hmac "$secret"
//	printf '%s' 'msg_1.1717000000.{"event":"message_created","id":1}' | openssl dgst -sha256 -hmac "$secret" -binary | base64
const (
	vectorSecret    = "sEcReT-0123456789abcdefgh"
	vectorOld       = "old-secret-abcdefghijklmn"
	vectorBody      = `{"event":"message_created","id":1}`
	vectorChatwoot  = "sha256=9e4c8ed373d547ba02faeba37ee8a7d9d4adb4ad7887a64810e927370975dc3e"
	vectorStandard  = "v1,TrfT3qx37m93S0kzcWiIuiTdNN0OOQKdre3yTg9uSxY="
	vectorTimestamp = "1717000000"
)

// TestVectors pins both signing schemes.
func TestVectors(t *testing.T) {
	t.Parallel()
	if got := signature.Chatwoot(vectorSecret, vectorTimestamp, []byte(vectorBody)); got != vectorChatwoot {
		t.Errorf("Chatwoot = %s, want %s", got, vectorChatwoot)
	}
	if got := signature.Standard(vectorSecret, "msg_1", vectorTimestamp, []byte(vectorBody)); got != vectorStandard {
		t.Errorf("Standard = %s, want %s", got, vectorStandard)
	}
	// The Standard Webhooks specification's own example: its secret is
	// the base64 after "whsec_".
	key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if got := signature.StandardSecret(string(key)); got != "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" {
		t.Errorf("StandardSecret = %s", got)
	}
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := signature.Standard(string(key), "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`)); got != want {
		t.Errorf("Standard of the specification's example = %s, want %s", got, want)
	}
}

// TestHeaders pins the headers of a delivery without a secret, with one,
// and during a rotation's overlap.
func TestHeaders(t *testing.T) {
	t.Parallel()
	now := time.Unix(1717000000, 0)
	body := []byte(vectorBody)
	base := map[string]string{"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "Baton",
		"X-Chatwoot-Delivery": "msg_1"}
	if got := signature.Headers("msg_1", body, nil, now); !maps.Equal(got, base) {
		t.Errorf("without a secret: %v", got)
	}
	signed := maps.Clone(base)
	maps.Copy(signed, map[string]string{"X-Chatwoot-Timestamp": vectorTimestamp, "X-Chatwoot-Signature": vectorChatwoot,
		"webhook-id": "msg_1", "webhook-timestamp": vectorTimestamp, "webhook-signature": vectorStandard})
	if got := signature.Headers("msg_1", body, []string{vectorSecret}, now); !maps.Equal(got, signed) {
		t.Errorf("with a secret:\n got %v\nwant %v", got, signed)
	}
	rotating := maps.Clone(signed)
	rotating["webhook-signature"] = vectorStandard + " " + signature.Standard(vectorOld, "msg_1", vectorTimestamp, body)
	rotating["X-Chatwoot-Signature-Previous"] = signature.Chatwoot(vectorOld, vectorTimestamp, body)
	if got := signature.Headers("msg_1", body, []string{vectorSecret, vectorOld}, now); !maps.Equal(got, rotating) {
		t.Errorf("during a rotation:\n got %v\nwant %v", got, rotating)
	}
}
