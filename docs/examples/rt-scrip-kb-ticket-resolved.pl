# Request Tracker scrip action ("User Defined", commit code) that tells kb a ticket was
# resolved. kb does not trust what it is sent: it reads the ticket back from RT itself, so
# create the scrip in stage "Batch" (TransactionBatch): it then runs once RT has finished
# writing the ticket, not inside RT's database transaction while kb calls back.
# Set in RT_SiteConfig.d/kb.pm:
#   Set($KBTicketResolvedURL, 'https://kb.example.org/api/v1/integrations/rt/ticket-resolved');
#   Set($KBScripSecret, 'the same value as kb's RT_SCRIP_SECRET');
my $url = RT->Config->Get('KBTicketResolvedURL') or return 1;
require LWP::UserAgent;
my $ua = LWP::UserAgent->new( timeout => 10, agent => 'rt-kb-scrip' );
my $response = $ua->post(
    $url,
    'Content-Type'   => 'application/json',
    'X-KB-RT-Secret' => RT->Config->Get('KBScripSecret') // '',
    Content          => '{"ticket":' . $self->TicketObj->id . '}',
);
# kb also polls RT, so a resolution that could not be announced is picked up later.
RT->Logger->warning( 'kb was not told of the resolution: ' . $response->status_line )
    unless $response->is_success;
return 1;
