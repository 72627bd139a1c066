package delivery_test

import (
	"encoding/base64"
	"maps"
	"net/netip"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/delivery"
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

// TestSignatureVectors pins both signing schemes.
func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	if got := delivery.ChatwootSignature(vectorSecret, vectorTimestamp, []byte(vectorBody)); got != vectorChatwoot {
		t.Errorf("ChatwootSignature = %s, want %s", got, vectorChatwoot)
	}
	if got := delivery.StandardSignature(vectorSecret, "msg_1", vectorTimestamp, []byte(vectorBody)); got != vectorStandard {
		t.Errorf("StandardSignature = %s, want %s", got, vectorStandard)
	}
	// The Standard Webhooks specification's own example: its secret is
	// the base64 after "whsec_".
	key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if got := delivery.StandardSecret(string(key)); got != "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" {
		t.Errorf("StandardSecret = %s", got)
	}
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := delivery.StandardSignature(string(key), "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`)); got != want {
		t.Errorf("StandardSignature of the specification's example = %s, want %s", got, want)
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
	if got := delivery.Headers("msg_1", body, nil, now); !maps.Equal(got, base) {
		t.Errorf("without a secret: %v", got)
	}
	signed := maps.Clone(base)
	maps.Copy(signed, map[string]string{"X-Chatwoot-Timestamp": vectorTimestamp, "X-Chatwoot-Signature": vectorChatwoot,
		"webhook-id": "msg_1", "webhook-timestamp": vectorTimestamp, "webhook-signature": vectorStandard})
	if got := delivery.Headers("msg_1", body, []string{vectorSecret}, now); !maps.Equal(got, signed) {
		t.Errorf("with a secret:\n got %v\nwant %v", got, signed)
	}
	rotating := maps.Clone(signed)
	rotating["webhook-signature"] = vectorStandard + " " + delivery.StandardSignature(vectorOld, "msg_1", vectorTimestamp, body)
	rotating["X-Chatwoot-Signature-Previous"] = delivery.ChatwootSignature(vectorOld, vectorTimestamp, body)
	if got := delivery.Headers("msg_1", body, []string{vectorSecret, vectorOld}, now); !maps.Equal(got, rotating) {
		t.Errorf("during a rotation:\n got %v\nwant %v", got, rotating)
	}
}

// TestPrivate lists what --webhook-block-private refuses.
func TestPrivate(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true,
		"fd12:3456::1": true, "169.254.169.254": true, "fe80::1": true, "0.0.0.0": true, "::": true, "224.0.0.1": true,
		"ff02::1": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true,
		"203.0.113.10": false, "8.8.8.8": false, "2606:4700::1111": false, "172.32.0.1": false, "::ffff:8.8.8.8": false,
	} {
		if got := delivery.Private(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Private(%s) = %v, want %v", addr, got, want)
		}
	}
}
